// The fault spec schema: what it accepts, how it normalises, and how every
// refusal names its field.
import { faultLimits, validateFault, type FaultSpec } from '../../workflows/index.ts';

const limits = faultLimits({ maxDuration: '30m', allowedNamespaces: ['production', 'finance'], maxPods: 10 });

const spec = (extra: Partial<FaultSpec> = {}): FaultSpec => ({
  target: { namespace: 'production', selector: { app: 'cart-service-v1' } },
  kind: 'drop',
  match: { direction: 'egress', protocol: 'tcp', dstPorts: 80 },
  magnitude: { percent: 30 },
  duration: '5m',
  ...extra,
});

function problems(value: unknown): string[] {
  const result = validateFault(value, limits);
  return result.ok ? [] : result.problems;
}

describe('fault spec', () => {
  test('a drop percent becomes parts per million, ports become ranges, defaults are filled in', () => {
    const result = validateFault(spec(), limits);
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.fault).toEqual({
      target: { type: 'kubernetes', namespace: 'production', selector: { app: 'cart-service-v1' } },
      kind: 'drop',
      match: { direction: 'egress', protocol: 'tcp', dstPorts: { from: 80, to: 80 }, peers: [] },
      magnitude: { dropPpm: 300_000 },
      durationMs: 300_000,
      stopWhen: [],
      verdictAfterMs: 2000,
    });
    expect(validateFault(result.spec, limits)).toMatchObject({ ok: true, fault: result.fault });
  });

  test('a delay keeps milliseconds and jitter; a direct target keeps its namespace', () => {
    const result = validateFault(
      spec({
        target: { node: 'lab-node-1', netns: 'cart-1', interface: 'eth0' },
        kind: 'delay',
        magnitude: { delayMs: 200, jitterMs: 20 },
      }),
      limits,
    );
    expect(result).toMatchObject({
      ok: true,
      fault: {
        target: { type: 'direct', node: 'lab-node-1', netns: 'cart-1', interface: 'eth0' },
        magnitude: { delayMs: 200, jitterMs: 20 },
      },
    });
  });

  test.each([
    ['8000-8100', { from: 8000, to: 8100 }],
    [' 53 ', { from: 53, to: 53 }],
    [
      { from: 1, to: 65535 },
      { from: 1, to: 65535 },
    ],
  ])('port range %j is %j', (dstPorts, range) => {
    expect(validateFault(spec({ match: { direction: 'egress', protocol: 'udp', dstPorts } }), limits)).toMatchObject({
      ok: true,
      fault: { match: { dstPorts: range } },
    });
  });

  test.each([
    ['magnitude.percent: Too small', spec({ magnitude: { percent: -1 } })],
    ['magnitude.percent: Too big', spec({ magnitude: { percent: 101 } })],
    ['magnitude.percent: required for a drop fault', spec({ magnitude: {} })],
    ['magnitude.delayMs: required for a delay fault', spec({ kind: 'delay', magnitude: {} })],
    ['magnitude.percent: only for a drop fault', spec({ kind: 'delay', magnitude: { delayMs: 5, percent: 5 } })],
    ['match.protocol: Invalid option', { ...spec(), match: { direction: 'egress', protocol: 'sctp' } }],
    ['match.direction: Invalid option', { ...spec(), match: { direction: 'sideways' } }],
    [
      'match.dstPorts: port 70000 is out of range',
      spec({ match: { direction: 'egress', protocol: 'tcp', dstPorts: 70000 } }),
    ],
    [
      'match.srcPorts: port range 90-80 runs backwards',
      spec({ match: { direction: 'egress', protocol: 'tcp', srcPorts: '90-80' } }),
    ],
    [
      'match.dstPorts: ports need protocol tcp or udp',
      spec({ match: { direction: 'egress', protocol: 'icmp', dstPorts: 80 } }),
    ],
    ['match.peers[0]: expected an IPv4 or IPv6 CIDR', spec({ match: { direction: 'egress', peers: ['10.0.0.0/33'] } })],
    [
      'target.namespace: faults are not allowed in "kube-system"',
      spec({ target: { namespace: 'kube-system', selector: 'a=b' } }),
    ],
    ['target.interface: required for a direct target', { ...spec(), target: { node: 'n1' } }],
    ['target: expected either', { ...spec(), target: { node: 'n1', interface: 'eth0', namespace: 'production' } }],
    ['duration: 45m is over the maximum of 30m', spec({ duration: '45m' })],
    ['duration: expected a duration', spec({ duration: 'soon' })],
    ['kind: Invalid option', { ...spec(), kind: 'corrupt' }],
  ])('refuses with "%s"', (message, value) => {
    expect(problems(value).join('\n')).toContain(message);
  });

  test('IPv4 and IPv6 peers are both accepted', () => {
    expect(
      problems(spec({ match: { direction: 'ingress', peers: ['10.0.1.0/24', 'fd00:1::/64', '192.0.2.7/32'] } })),
    ).toEqual([]);
  });
});
