// The agents' resolver, its pure parts: resolv.conf as glibc reads it, the
// order a search path gives, glibc's per-attempt timeouts, the DNS wire
// format, and the /proc files that tell which namespace holds an address.
import { describe, expect, test } from '@jest/globals';
import { fibLocalAddresses, inet6Addresses, normaliseIp } from '../../activities/vantage/procfs.ts';
import { attemptTimeoutMs, parseResolvConf, searchOrder } from '../../activities/vantage/resolvconf.ts';
import { splitServer } from '../../activities/vantage/resolver.ts';
import { decodeHeader, encodeQuery } from '../../activities/vantage/wire.ts';

describe('resolv.conf', () => {
  test("a pod's resolv.conf: nameserver, search path, ndots; glibc's defaults for the rest", () => {
    const conf = parseResolvConf(
      [
        'search production.svc.cluster.local svc.cluster.local cluster.local',
        'nameserver 10.96.0.10',
        'options ndots:5',
      ].join('\n'),
    );
    expect(conf).toEqual({
      nameservers: ['10.96.0.10'],
      search: ['production.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
      ndots: 5,
      timeoutSeconds: 5,
      attempts: 2,
      rotate: false,
      singleRequest: false,
      singleRequestReopen: false,
      noAaaa: false,
      ignored: [],
    });
  });

  test('options with limits, at most three nameservers, the last of search/domain wins, the rest listed as ignored', () => {
    const conf = parseResolvConf(
      [
        '# comment',
        'search a.example b.example',
        'domain only.example',
        'nameserver 10.0.0.1',
        'nameserver fe80::1%eth0',
        'nameserver 10.0.0.3',
        'nameserver 10.0.0.4',
        'options timeout:60 attempts:9 ndots:20 rotate single-request-reopen use-vc edns0',
        'sortlist 10.0.0.0/8',
      ].join('\n'),
    );
    expect(conf.nameservers).toEqual(['10.0.0.1', 'fe80::1', '10.0.0.3']);
    expect(conf.search).toEqual(['only.example']);
    expect(conf).toMatchObject({ timeoutSeconds: 30, attempts: 5, ndots: 15, rotate: true, singleRequestReopen: true });
    expect(conf.ignored).toEqual([
      'nameserver 10.0.0.4 (glibc uses the first 3)',
      'options use-vc',
      'options edns0',
      'sortlist 10.0.0.0/8',
    ]);
  });

  test('the search order: fewer dots than ndots tries the search list first, more tries the name first, a trailing dot only the name', () => {
    const conf = { ndots: 5, search: ['production.svc.cluster.local', 'svc.cluster.local', 'cluster.local'] };
    expect(searchOrder('kubernetes.default.svc.cluster.local', conf).map((c) => c.name)).toEqual([
      'kubernetes.default.svc.cluster.local.production.svc.cluster.local',
      'kubernetes.default.svc.cluster.local.svc.cluster.local',
      'kubernetes.default.svc.cluster.local.cluster.local',
      'kubernetes.default.svc.cluster.local',
    ]);
    expect(searchOrder('api.stripe.com', { ...conf, ndots: 2 }).map((c) => c.name)[0]).toBe('api.stripe.com');
    expect(searchOrder('cart.', conf)).toEqual([{ name: 'cart', asIs: true }]);
  });

  test("glibc's exchange timeout: timeout << server index, divided by the server count past the first, at least 1 s", () => {
    expect(attemptTimeoutMs(5, 0, 1)).toBe(5000);
    expect([0, 1, 2].map((ns) => attemptTimeoutMs(5, ns, 3))).toEqual([5000, 3000, 6000]);
    expect(attemptTimeoutMs(1, 1, 3)).toBe(1000);
  });
});

describe('DNS on the wire', () => {
  test('a query: id, RD flag, one question, labels, type A class IN', () => {
    const q = encodeQuery(0x1234, 'cart.shop.test.');
    expect(q.subarray(0, 6)).toEqual(Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01]));
    expect(q.subarray(12).toString('latin1')).toBe('\x04cart\x04shop\x04test\x00\x00\x01\x00\x01');
  });

  test('a response header: rcode and answer count; a query is not a response', () => {
    const response = Buffer.from([0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(decodeHeader(response)).toEqual({ id: 0x1234, rcode: 'NXDOMAIN', truncated: false, answers: 0 });
    expect(decodeHeader(encodeQuery(1, 'x'))).toBeUndefined();
  });

  test('servers with and without ports', () => {
    expect(splitServer('10.96.0.10')).toEqual({ address: '10.96.0.10', port: 53 });
    expect(splitServer('127.0.0.1:5353')).toEqual({ address: '127.0.0.1', port: 5353 });
    expect(splitServer('[fd00::10]:53')).toEqual({ address: 'fd00::10', port: 53 });
    expect(splitServer('fd00::10')).toEqual({ address: 'fd00::10', port: 53 });
  });
});

describe('addresses from /proc', () => {
  test('fib_trie: the keys marked "/32 host LOCAL" are the local addresses', () => {
    const trie = [
      'Main:',
      '  +-- 0.0.0.0/0 3 0 5',
      '     |-- 0.0.0.0',
      '        /0 universe UNICAST',
      '     +-- 10.244.1.0/24 2 0 2',
      '        |-- 10.244.1.0',
      '           /24 link UNICAST',
      '        |-- 10.244.1.7',
      '           /32 host LOCAL',
      '        |-- 10.244.1.255',
      '           /32 link BROADCAST',
      '     |-- 127.0.0.1',
      '        /32 host LOCAL',
      'Local:',
      '        |-- 10.244.1.7',
      '           /32 host LOCAL',
    ].join('\n');
    expect(fibLocalAddresses(trie)).toEqual(['10.244.1.7', '127.0.0.1']);
  });

  test('if_inet6: hex addresses written as URLs write them', () => {
    const text = 'fd000000000000000000000000000010 02 40 00 80 eth0\n00000000000000000000000000000001 01 80 10 80 lo\n';
    expect(inet6Addresses(text)).toEqual(['fd00::10', '::1']);
    expect(normaliseIp('FD00:0:0::10')).toBe('fd00::10');
  });
});
