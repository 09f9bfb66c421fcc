import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^Bearer +([^\s]+) *$/i;

/**
 * Whether an Authorization header carries `token`. Both sides are hashed first so that the
 * comparison is constant-time and of equal length whatever was sent: timing tells nothing of
 * the token, not even its length.
 */
export function hasBearerToken(header: string | undefined, token: string): boolean {
  const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
  const isSame = timingSafeEqual(digest(presented ?? ''), digest(token));
  return presented !== undefined && isSame;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
