// A GetFlowsResponse as `hubble observe -o json` prints it (protojson with
// proto field names): Timestamps as RFC 3339, wrapper values unwrapped,
// 64-bit integers as strings, zero values and proto-loader's oneof markers
// left out. Used to save captures from the lab's stand-in.

const TIMESTAMP_KEYS = new Set(['time', 'since', 'until']);
const WRAPPER_KEYS = new Set(['is_reply', 'num_connected_nodes', 'num_unavailable_nodes', 'cpu']);

function isZero(value: unknown): boolean {
  return (
    value === 0 ||
    value === '0' ||
    value === '' ||
    value === false ||
    value === null ||
    value === undefined ||
    (Array.isArray(value) && value.length === 0)
  );
}

function rfc3339(t: { seconds?: unknown; nanos?: unknown }): string {
  const seconds = Number(t.seconds ?? 0);
  const nanos = Number(t.nanos ?? 0);
  const base = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return nanos ? `${base}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}Z` : `${base}Z`;
}

function convert(value: unknown, key: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => convert(v, undefined));
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (key && TIMESTAMP_KEYS.has(key) && ('seconds' in obj || 'nanos' in obj)) return rfc3339(obj);
  if (key && WRAPPER_KEYS.has(key) && 'value' in obj) return obj.value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    // proto-loader marks which oneof member is set with a string naming it.
    if (
      typeof v === 'string' &&
      v in obj &&
      k !== v &&
      ['response_types', 'protocol', 'record', 'notification'].includes(k)
    )
      continue;
    const converted = convert(v, k);
    if (
      !isZero(converted) &&
      !(
        typeof converted === 'object' &&
        converted !== null &&
        !Array.isArray(converted) &&
        Object.keys(converted).length === 0 &&
        k !== 'flags'
      )
    ) {
      out[k] = converted;
    }
  }
  return out;
}

export function toHubbleJson(response: unknown): string {
  return JSON.stringify(convert(response, undefined));
}
