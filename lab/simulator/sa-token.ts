// A pod's ServiceAccount token as the kubelet gets it: a TokenRequest for
// the pod's ServiceAccount, bound to the Pod (so the API server stops
// accepting it once the pod is gone), refreshed when 80 % of its life has
// passed or it is a day old, whichever comes first. The API server binds a
// token only to a pod whose spec names that ServiceAccount; the lab runs
// without the ServiceAccount admission plugin (which would fill in
// `default`), so a pod that names none gets an unbound `default` token.
import { ApiException, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';

export interface PodToken {
  token: string;
  issuedAt: Date;
  expiresAt: Date;
}

const DAY_MS = 24 * 3600 * 1000;

/** When the kubelet would ask for a new token. */
export function refreshAt(token: Pick<PodToken, 'issuedAt' | 'expiresAt'>): Date {
  const life = token.expiresAt.getTime() - token.issuedAt.getTime();
  return new Date(token.issuedAt.getTime() + Math.min(life * 0.8, DAY_MS));
}

/** Status text of an API error, as the kubelet quotes it. */
function reason(err: unknown): string {
  if (err instanceof ApiException) {
    try {
      const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      const message = body && typeof body === 'object' && 'message' in body ? body.message : undefined;
      if (typeof message === 'string') return message;
    } catch {
      // not JSON: fall through
    }
    return `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

export async function requestPodToken(
  core: CoreV1Api,
  pod: V1Pod,
  serviceAccount: string,
  expirationSeconds: number,
  audience?: string,
): Promise<PodToken> {
  const issuedAt = new Date();
  let answer;
  try {
    answer = await core.createNamespacedServiceAccountToken({
      name: serviceAccount,
      namespace: pod.metadata?.namespace ?? 'default',
      body: {
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds,
          // The API server binds a token only to a pod that names the ServiceAccount: without the admission
          // plugin a pod that names none (the shop's) gets its `default` token unbound.
          ...(pod.spec?.serviceAccountName
            ? { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid } }
            : {}),
        },
      },
    });
  } catch (err) {
    throw new TokenError(`failed to fetch token: ${reason(err)}`);
  }
  const token = answer.status?.token;
  if (!token) throw new TokenError('failed to fetch token: the TokenRequest returned no token');
  const expiresAt = answer.status?.expirationTimestamp
    ? new Date(answer.status.expirationTimestamp)
    : new Date(issuedAt.getTime() + expirationSeconds * 1000);
  return { token, issuedAt, expiresAt };
}
