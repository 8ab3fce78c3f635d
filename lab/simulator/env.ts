// A container's environment from its pod spec, as the kubelet builds it:
// literal values and the downward API (fieldRef). Other sources are refused
// with a message, which the pod status shows as CreateContainerConfigError.
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

function fieldValue(pod: V1Pod, path: string, podIp: string, hostIp: string): string {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (label?.[1] && label[2]) {
    const map = label[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[label[2]] ?? '';
  }
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': podIp,
    'status.hostIP': hostIp,
  };
  if (!(path in fields)) throw new EnvError(`fieldRef ${path} is not supported in the lab`);
  return fields[path] ?? '';
}

export function containerEnv(
  pod: V1Pod,
  container: V1Container,
  podIp: string,
  hostIp: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of container.env ?? []) {
    if (item.value !== undefined) {
      env[item.name] = item.value.replace(/\$\((\w+)\)/g, (whole, name: string) => env[name] ?? whole);
    } else if (item.valueFrom?.fieldRef) {
      env[item.name] = fieldValue(pod, item.valueFrom.fieldRef.fieldPath, podIp, hostIp);
    } else if (item.valueFrom) {
      throw new EnvError(`env ${item.name}: only value and fieldRef are supported in the lab`);
    } else {
      env[item.name] = '';
    }
  }
  return env;
}
