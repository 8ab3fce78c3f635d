// Comparing a presented secret with the configured one without the time it
// takes saying anything about either: both are reduced to HMAC digests under
// a key of this process's own (fixed length), then compared in constant time.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const KEY = randomBytes(32);

const digest = (text: string) => createHmac('sha256', KEY).update(text).digest();

export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}
