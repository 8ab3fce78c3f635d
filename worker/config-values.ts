// Value shapes config sections share (the main config and the alerts section).
import { z } from 'zod';

export const portSchema = z.coerce.number().int().min(1).max(65535);

/** "true"/"false" from the environment, or a real boolean from the file. */
export const flagSchema = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((value) => value === true || value === 'true' || value === '1' || value === 'yes');
