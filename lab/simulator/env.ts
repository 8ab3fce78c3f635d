// A container's environment from its pod spec, as the kubelet builds it: the
// API server's address first (KUBERNETES_SERVICE_HOST/PORT), then envFrom
// (ConfigMaps and Secrets, with a prefix), then env: literal values with
// `$(VAR)` references, the downward API (fieldRef), ConfigMap and Secret keys
// (configMapKeyRef, secretKeyRef; `optional: true` tolerates a missing object
// or key). A missing object or key is refused with the kubelet's own words,
// which the pod status shows as CreateContainerConfigError.
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import { expandVars } from './images.ts';

export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

/** The ConfigMaps and Secrets of the pod's namespace that it refers to, by name; a missing one is absent. */
export interface PodObjects {
  configMaps: ReadonlyMap<string, V1ConfigMap>;
  secrets: ReadonlyMap<string, V1Secret>;
}

export const NO_OBJECTS: PodObjects = { configMaps: new Map(), secrets: new Map() };

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

/** A ConfigMap's keys as strings (binaryData decoded as UTF-8). */
export function configMapData(cm: V1ConfigMap): Record<string, Buffer> {
  return {
    ...Object.fromEntries(Object.entries(cm.binaryData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    ...Object.fromEntries(Object.entries(cm.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
  };
}

/** A Secret's keys, decoded (the API server keeps `data` base64; stringData is never stored). */
export function secretData(secret: V1Secret): Record<string, Buffer> {
  return {
    ...Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    ...Object.fromEntries(Object.entries(secret.stringData ?? {}).map(([k, v]) => [k, Buffer.from(v, 'utf8')])),
  };
}

type Kind = 'ConfigMap' | 'Secret';

/** An object's data, or the kubelet's error when it is missing and not optional (undefined when optional). */
export function lookup(
  objects: PodObjects,
  kind: Kind,
  name: string,
  optional: boolean | undefined,
): Record<string, Buffer> | undefined {
  const configMap = kind === 'ConfigMap' ? objects.configMaps.get(name) : undefined;
  if (configMap) return configMapData(configMap);
  const secret = kind === 'Secret' ? objects.secrets.get(name) : undefined;
  if (secret) return secretData(secret);
  if (optional) return undefined;
  throw new EnvError(`${kind === 'ConfigMap' ? 'configmap' : 'secret'} "${name}" not found`);
}

function keyValue(
  pod: V1Pod,
  objects: PodObjects,
  kind: Kind,
  ref: { name?: string; key: string; optional?: boolean },
): string | undefined {
  const name = ref.name ?? '';
  const data = lookup(objects, kind, name, ref.optional);
  if (!data) return undefined;
  const value = data[ref.key];
  if (value !== undefined) return value.toString('utf8');
  if (ref.optional) return undefined;
  throw new EnvError(`couldn't find key ${ref.key} in ${kind} ${pod.metadata?.namespace ?? 'default'}/${name}`);
}

export interface EnvContext {
  podIp: string;
  hostIp: string;
  objects?: PodObjects;
  /** Set before the container's own (the kubelet's service variables); the container's own win. */
  base?: Readonly<Record<string, string>>;
}

export function containerEnv(pod: V1Pod, container: V1Container, ctx: EnvContext): Record<string, string> {
  const objects = ctx.objects ?? NO_OBJECTS;
  const env: Record<string, string> = { ...ctx.base };
  for (const from of container.envFrom ?? []) {
    const source = from.configMapRef
      ? lookup(objects, 'ConfigMap', from.configMapRef.name ?? '', from.configMapRef.optional)
      : from.secretRef
        ? lookup(objects, 'Secret', from.secretRef.name ?? '', from.secretRef.optional)
        : undefined;
    // A key that cannot be a variable name is skipped, as the kubelet skips it (with an event).
    for (const [key, value] of Object.entries(source ?? {}))
      if (!key.includes('=')) env[`${from.prefix ?? ''}${key}`] = value.toString('utf8');
  }
  for (const item of container.env ?? []) {
    const from = item.valueFrom;
    let value: string | undefined;
    if (item.value !== undefined) value = expandVars(item.value, env);
    else if (from?.fieldRef) value = fieldValue(pod, from.fieldRef.fieldPath, ctx.podIp, ctx.hostIp);
    else if (from?.configMapKeyRef) value = keyValue(pod, objects, 'ConfigMap', from.configMapKeyRef);
    else if (from?.secretKeyRef) value = keyValue(pod, objects, 'Secret', from.secretKeyRef);
    else if (from) throw new EnvError(`env ${item.name}: resourceFieldRef is not supported in the lab`);
    else value = '';
    if (value !== undefined) env[item.name] = value;
  }
  return env;
}

/** The ConfigMaps and Secrets a container's env refers to (what the runner fetches before containerEnv). */
export function envReferences(container: V1Container): { configMaps: string[]; secrets: string[] } {
  const configMaps = [
    ...(container.envFrom ?? []).flatMap((f) => (f.configMapRef?.name ? [f.configMapRef.name] : [])),
    ...(container.env ?? []).flatMap((e) =>
      e.valueFrom?.configMapKeyRef?.name ? [e.valueFrom.configMapKeyRef.name] : [],
    ),
  ];
  const secrets = [
    ...(container.envFrom ?? []).flatMap((f) => (f.secretRef?.name ? [f.secretRef.name] : [])),
    ...(container.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef?.name ? [e.valueFrom.secretKeyRef.name] : [])),
  ];
  return { configMaps, secrets };
}
