// What "pulling an image" means in the lab: the image's repository name picks
// a workload script under lab/workloads/. `nightshift-lab/cart-service:1.4`
// runs lab/workloads/cart-service.ts; the tag is passed on as IMAGE_TAG.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKLOADS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'workloads');

export const IMAGE_REGISTRY = 'nightshift-lab';

export const WORKLOADS = ['checkout-frontend', 'cart-service', 'payment-processor', 'postgres-db'] as const;

export interface ResolvedImage {
  script: string;
  tag: string;
}

export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

export function resolveImage(image: string): ResolvedImage {
  const match = /^(?:([^/]+)\/)?([a-z0-9-]+)(?::([\w.-]+))?$/.exec(image);
  const [, registry, repo, tag] = match ?? [];
  if (!repo || registry !== IMAGE_REGISTRY) {
    throw new ImageError(
      `image "${image}" is not a lab image: expected ${IMAGE_REGISTRY}/<${WORKLOADS.join('|')}>[:tag]`,
    );
  }
  const script = join(WORKLOADS_DIR, `${repo}.ts`);
  if (!existsSync(script)) {
    throw new ImageError(`image "${image}": no workload ${repo} (known: ${WORKLOADS.join(', ')})`);
  }
  return { script, tag: tag ?? 'latest' };
}
