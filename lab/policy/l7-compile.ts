// From a compiled policy to the L7 proxies' configs: for every endpoint
// that enforces ingress, the TCP ports whose entries carry HTTP rules, a
// proxy port for each, and which clients go to the proxy. A client goes to
// the proxy when the entry the datapath picks for its identity (lookup
// order) is an allow with HTTP rules; so the node itself, let in by
// allow-localhost before any any-peer entry, never does, as in Cilium.
import type { Compiled, Endpoint } from './compile.ts';
import { entryFor, WORLD_IDENTITY, type L7Config, type L7Entry } from './l7-config.ts';
import { contains, formatPrefix, parsePrefix } from './prefix.ts';

/** Where proxies listen in a pod's namespace: one port per enforced port, from here up. */
export const PROXY_PORT_BASE = 15001;
const TCP = 6;

function proxied(entries: L7Entry[], identity: number, port: number): boolean {
  const entry = entryFor({ entries }, identity, port);
  return !!entry && !entry.deny && entry.http !== undefined;
}

/**
 * The clients of one port, longest prefix first, ending with 0.0.0.0/0 (the
 * world's decision). A prefix is listed only where its decision differs from
 * that of the longest prefix around it: a rule per pod of the cluster is not
 * needed when only a few pods' connections go to the proxy.
 */
export function sourcesFor(
  ipcache: L7Config['ipcache'],
  entries: L7Entry[],
  port: number,
): L7Config['ports'][number]['sources'] {
  const world = proxied(entries, WORLD_IDENTITY, port);
  const prefixes = ipcache.map((c) => ({ ...c, p: parsePrefix(c.prefix) }));
  const around = (inner: (typeof prefixes)[number]) =>
    prefixes.filter((o) => o.p.len < inner.p.len && contains(o.p, inner.p)).sort((a, b) => b.p.len - a.p.len)[0];
  const listed = prefixes.flatMap((c) => {
    const proxy = proxied(entries, c.identity, port);
    const outer = around(c);
    const outerProxy = outer ? proxied(entries, outer.identity, port) : world;
    return proxy === outerProxy ? [] : [{ prefix: formatPrefix(c.p), proxy, len: c.p.len }];
  });
  listed.sort((a, b) => b.len - a.len || a.prefix.localeCompare(b.prefix, 'en'));
  return [...listed.map(({ prefix, proxy }) => ({ prefix, proxy })), { prefix: '0.0.0.0/0', proxy: world }];
}

function configOf(compiled: Compiled, ep: Endpoint): L7Config | undefined {
  if (!ep.enforce.ingress) return undefined;
  const mine = compiled.entries.filter(
    (e) => e.endpoint === ep.id && e.direction === 'ingress' && (e.protocol === TCP || e.protocol === 0),
  );
  const ports = [...new Set(mine.filter((e) => e.http && e.protocol === TCP && e.port > 0).map((e) => e.port))].sort(
    (a, b) => a - b,
  );
  if (ports.length === 0) return undefined;
  const entries: L7Entry[] = mine
    .filter((e) => e.port === 0 || ports.includes(e.port))
    .map((e) => ({
      identity: e.identity,
      protocol: e.protocol,
      port: e.port,
      deny: e.deny,
      ...(e.http ? { http: e.http } : {}),
    }));
  let next = PROXY_PORT_BASE;
  return {
    endpoint: { id: ep.id, namespace: ep.namespace, pod: ep.pod, identity: ep.identity, ips: ep.ips },
    ipcache: compiled.ipcache,
    entries,
    ports: ports.map((port) => {
      while (ports.includes(next)) next++;
      return { port, proxyPort: next++, sources: sourcesFor(compiled.ipcache, entries, port) };
    }),
  };
}

/** One config per endpoint whose ingress has HTTP rules that some client meets. */
export function l7Configs(compiled: Compiled): L7Config[] {
  return compiled.endpoints.flatMap((ep) => {
    const config = configOf(compiled, ep);
    // Rules no client reaches (their peers select nobody) need no proxy.
    return config && config.ports.some((p) => p.sources.some((s) => s.proxy)) ? [config] : [];
  });
}
