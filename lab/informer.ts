// Informers that come back: client-node's informer stops on a watch error,
// so restart it after a pause, as its documentation advises. The first list
// is retried too (a CRD may not be served yet).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Informer, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';

export async function restartingInformer<T extends KubernetesObject>(
  informer: Informer<T>,
  what: string,
  log: Logger,
  pauseMs = 1000,
): Promise<void> {
  informer.on('error', (err: unknown) => {
    log.warn({ err, what }, 'watch failed; restarting');
    setTimeout(() => void informer.start().catch(() => undefined), pauseMs);
  });
  for (;;) {
    try {
      await informer.start();
      return;
    } catch (err) {
      log.warn({ err, what }, 'first list failed; retrying');
      await sleep(pauseMs);
    }
  }
}
