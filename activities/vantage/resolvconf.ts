// resolv.conf read as glibc reads it (resolv/res_init.c): up to three
// nameservers, the last `search` or `domain` line wins, and the options that
// change how a lookup goes on the wire — ndots, timeout, attempts, rotate,
// single-request(-reopen), no-aaaa — with glibc's defaults and limits.
// What we read but do not emulate is listed, never silently dropped.
import type { ResolverConf } from '../../model/index.ts';

const MAXNS = 3;
const RES_MAXNDOTS = 15;
const RES_MAXRETRANS = 30;
const RES_MAXRETRY = 5;

export const GLIBC_DEFAULTS = { ndots: 1, timeoutSeconds: 5, attempts: 2 } as const;

const clampInt = (text: string, max: number): number | undefined => {
  if (!/^\d+$/.test(text)) return undefined;
  return Math.min(Number(text), max);
};

export function parseResolvConf(text: string): ResolverConf {
  const conf: ResolverConf = {
    nameservers: [],
    search: [],
    ...GLIBC_DEFAULTS,
    rotate: false,
    singleRequest: false,
    singleRequestReopen: false,
    noAaaa: false,
    ignored: [],
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'nameserver') {
      const address = args[0];
      if (address && conf.nameservers.length < MAXNS) conf.nameservers.push(address.replace(/%.*$/, ''));
      else if (address) conf.ignored.push(`nameserver ${address} (glibc uses the first ${MAXNS})`);
    } else if (keyword === 'search' || keyword === 'domain') {
      // Whichever of the two comes last wins; `domain` is a one-entry search list.
      conf.search = (keyword === 'domain' ? args.slice(0, 1) : args).map((d) => d.replace(/\.$/, '')).filter(Boolean);
    } else if (keyword === 'options') {
      for (const option of args) applyOption(conf, option);
    } else {
      conf.ignored.push(line);
    }
  }
  return conf;
}

function applyOption(conf: ResolverConf, option: string): void {
  const [name, value = ''] = option.split(':');
  const number = (max: number) => clampInt(value, max);
  switch (name) {
    case 'ndots':
      conf.ndots = number(RES_MAXNDOTS) ?? conf.ndots;
      return;
    case 'timeout':
      conf.timeoutSeconds = Math.max(1, number(RES_MAXRETRANS) ?? conf.timeoutSeconds);
      return;
    case 'attempts':
      conf.attempts = Math.max(1, number(RES_MAXRETRY) ?? conf.attempts);
      return;
    case 'rotate':
      conf.rotate = true;
      return;
    case 'single-request':
      conf.singleRequest = true;
      return;
    case 'single-request-reopen':
      conf.singleRequestReopen = true;
      return;
    case 'no-aaaa':
      conf.noAaaa = true;
      return;
    default:
      conf.ignored.push(`options ${option}`);
  }
}

/** The names a lookup of `name` tries, in glibc's order (res_search: ndots, trailing dot, search list). */
export function searchOrder(name: string, conf: Pick<ResolverConf, 'ndots' | 'search'>): Candidate[] {
  const trailing = name.endsWith('.');
  const bare = name.replace(/\.$/, '');
  const dots = (bare.match(/\./g) ?? []).length;
  const asIs: Candidate = { name: bare, asIs: true };
  if (trailing) return [asIs];
  const searched = conf.search.map((domain): Candidate => ({ name: `${bare}.${domain}`, asIs: false }));
  return dots >= conf.ndots ? [asIs, ...searched] : [...searched, asIs];
}

export interface Candidate {
  name: string;
  /** The name as given (tried first when it has ndots dots or more, else after the search list). */
  asIs: boolean;
}

/** The whole-exchange timeout glibc's send_dg uses for nameserver index `ns` of `count`, in ms. */
export function attemptTimeoutMs(timeoutSeconds: number, ns: number, count: number): number {
  let seconds = timeoutSeconds << ns;
  if (ns > 0) seconds = Math.floor(seconds / count);
  return Math.max(1, seconds) * 1000;
}
