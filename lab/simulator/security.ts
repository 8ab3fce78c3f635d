// A container's securityContext as the runtime applies it: who the process
// runs as (runAsUser/runAsGroup, the pod's fsGroup and supplementalGroups as
// its groups), no_new_privs (allowPrivilegeEscalation: false), its
// capabilities (drop and add, as the bounding set of a process that runs as
// root; a process of another user keeps none), and readOnlyRootFilesystem.
// The lab has no image, so an image's USER is root: runAsNonRoot without a
// runAsUser is refused, as the kubelet refuses an image that runs as root.
// Applied with util-linux's setpriv, which the launch script execs last.
// Not applied: seccompProfile, SELinux and AppArmor options, procMount.
//
// Pure.
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export class SecurityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecurityError';
  }
}

export interface Privileges {
  uid: number;
  gid: number;
  groups: number[];
  noNewPrivs: boolean;
  /** The capabilities a root process keeps (lower case, no CAP_ prefix); undefined: the runtime's default set. */
  capabilities?: string[];
  readOnlyRootFilesystem: boolean;
}

/** The default capabilities of a container runtime (containerd, CRI-O). */
export const RUNTIME_DEFAULT_CAPABILITIES = [
  'chown',
  'dac_override',
  'fsetid',
  'fowner',
  'mknod',
  'net_raw',
  'setgid',
  'setuid',
  'setfcap',
  'setpcap',
  'net_bind_service',
  'sys_chroot',
  'kill',
  'audit_write',
];

const capName = (c: string) => c.toLowerCase().replace(/^cap_/, '');

export function containerPrivileges(pod: V1Pod, container: V1Container): Privileges {
  const podSc = pod.spec?.securityContext ?? {};
  const sc = container.securityContext ?? {};
  const uid = sc.runAsUser ?? podSc.runAsUser ?? 0;
  const gid = sc.runAsGroup ?? podSc.runAsGroup ?? 0;
  const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot ?? false;
  const who = `container ${container.name}`;
  if (nonRoot && uid === 0) {
    throw new SecurityError(
      sc.runAsUser === undefined && podSc.runAsUser === undefined
        ? `${who} has runAsNonRoot and image will run as root (the lab's images have no USER: set runAsUser)`
        : `${who}'s runAsUser 0 breaks non-root policy (runAsNonRoot)`,
    );
  }
  const groups = [
    ...new Set([...(podSc.fsGroup !== undefined ? [podSc.fsGroup] : []), ...(podSc.supplementalGroups ?? [])]),
  ];
  let capabilities: string[] | undefined;
  if (sc.privileged) capabilities = undefined;
  else {
    const drop = (sc.capabilities?.drop ?? []).map(capName);
    const add = (sc.capabilities?.add ?? []).map(capName);
    const base = drop.includes('all') ? [] : RUNTIME_DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c));
    capabilities = [...new Set([...base, ...add])];
  }
  return {
    uid,
    gid,
    groups,
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    ...(capabilities ? { capabilities } : {}),
    readOnlyRootFilesystem: sc.readOnlyRootFilesystem === true,
  };
}

/** The setpriv command line that makes the process what `p` says, to prefix the container's command; [] for nothing. */
export function setprivArgv(p: Privileges): string[] {
  const args: string[] = [];
  if (p.uid !== 0 || p.gid !== 0 || p.groups.length > 0) {
    args.push(
      `--reuid=${p.uid}`,
      `--regid=${p.gid}`,
      p.groups.length > 0 ? `--groups=${p.groups.join(',')}` : '--clear-groups',
    );
  }
  if (p.capabilities) {
    const caps = p.capabilities.map((c) => `+${c}`).join(',');
    // A root process's permitted and effective sets at exec are its bounding set.
    args.push(`--bounding-set=-all${caps ? `,${caps}` : ''}`);
  }
  if (p.noNewPrivs) args.push('--no-new-privs');
  return args.length > 0 ? ['setpriv', ...args, '--'] : [];
}
