// The catalogue the processes use: the default entries plus anything a
// deployment adds. Kept here so CLI, gateway and worker agree.
import { defaultCatalogue, type Catalogue } from '../runbooks/index.ts';

export function catalogue(): Catalogue {
  return defaultCatalogue;
}
