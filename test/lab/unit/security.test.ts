// The lab runtime's securityContext: who a container's process runs as,
// its capabilities and no_new_privs, as setpriv is told; runAsNonRoot
// refused for an image that would run as root.
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { containerPrivileges, RUNTIME_DEFAULT_CAPABILITIES, setprivArgv } from '../../../lab/simulator/security.ts';

const pod = (securityContext: NonNullable<V1Pod['spec']>['securityContext'] = {}): V1Pod => ({
  metadata: { name: 'p', namespace: 'n' },
  spec: { containers: [], securityContext },
});
const container = (securityContext: V1Container['securityContext'] = {}): V1Container => ({
  name: 'c',
  securityContext,
});

describe('containerPrivileges', () => {
  test("the chart's worker: its pod's user and group, fsGroup as a group, no capabilities, no_new_privs, read-only root", () => {
    const p = containerPrivileges(
      pod({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 }),
      container({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      }),
    );
    expect(p).toEqual({
      uid: 10001,
      gid: 10001,
      groups: [10001],
      noNewPrivs: true,
      capabilities: [],
      readOnlyRootFilesystem: true,
    });
    expect(setprivArgv(p)).toEqual([
      'setpriv',
      '--reuid=10001',
      '--regid=10001',
      '--groups=10001',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
    ]);
  });

  test("the chart's agent: root with only the capabilities it adds", () => {
    const p = containerPrivileges(
      pod(),
      container({
        runAsUser: 0,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'], add: ['BPF', 'PERFMON', 'NET_ADMIN', 'CAP_SYS_ADMIN'] },
      }),
    );
    expect(p.uid).toBe(0);
    expect(p.capabilities).toEqual(['bpf', 'perfmon', 'net_admin', 'sys_admin']);
    expect(setprivArgv(p)).toEqual([
      'setpriv',
      '--bounding-set=-all,+bpf,+perfmon,+net_admin,+sys_admin',
      '--no-new-privs',
      '--',
    ]);
  });

  test("no securityContext: root with the runtime's default capabilities; privileged keeps them all", () => {
    expect(containerPrivileges(pod(), container()).capabilities).toEqual(RUNTIME_DEFAULT_CAPABILITIES);
    expect(containerPrivileges(pod(), container({ privileged: true })).capabilities).toBeUndefined();
    expect(setprivArgv(containerPrivileges(pod(), container({ privileged: true })))).toEqual([]);
  });

  test('the container overrides its pod; a dropped default capability is gone', () => {
    const p = containerPrivileges(
      pod({ runAsUser: 1000 }),
      container({ runAsUser: 2000, capabilities: { drop: ['NET_RAW'] } }),
    );
    expect(p.uid).toBe(2000);
    expect(p.capabilities).not.toContain('net_raw');
    expect(p.capabilities).toContain('chown');
  });

  test('runAsNonRoot with no user to run as, or user 0, is refused naming the container', () => {
    expect(() => containerPrivileges(pod({ runAsNonRoot: true }), container())).toThrow(
      /container c has runAsNonRoot and image will run as root/,
    );
    expect(() => containerPrivileges(pod(), container({ runAsNonRoot: true, runAsUser: 0 }))).toThrow(
      /container c's runAsUser 0 breaks non-root policy/,
    );
  });
});
