// zod pieces for collector params as runbooks write them: lists may be YAML
// lists or comma-separated strings; an empty template ("${params.pod}" with no
// pod given) renders as "" or null and means "not given".
import { z } from 'zod';

const blank = (v: unknown) => v === '' || v === null;

/** A list of strings: ["a", "b"] or "a,b". Empty means not given. */
export const listParam = z.preprocess(
  (v) =>
    blank(v)
      ? undefined
      : typeof v === 'string'
        ? v
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
  z.array(z.string().min(1)).optional(),
);

/** An optional string; "" and null mean not given. */
export const optionalText = z.preprocess((v) => (blank(v) ? undefined : v), z.string().optional());

/** A number that may arrive as a string ("20"); "" and null mean not given. */
export const optionalNumber = z.preprocess(
  (v) => (blank(v) ? undefined : typeof v === 'string' ? Number(v) : v),
  z.number().finite().optional(),
);
