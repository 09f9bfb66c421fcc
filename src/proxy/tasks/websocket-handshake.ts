import { headerValue } from './head-fields.js';

/** A Sec-WebSocket-Key is 16 random bytes in base64: 22 characters and `==` (RFC 6455 §4.1). */
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/**
 * Why a WebSocket upgrade request is not a valid handshake (or null when it is): `Upgrade:
 * websocket`, a key of 16 bytes in base64, version 13. Checked before a task is allocated, so a
 * broken client never costs one.
 */
export function websocketHandshakeProblem(headText: string): string | null {
  const upgrade = headerValue(headText, 'upgrade');
  if (upgrade?.toLowerCase() !== 'websocket') {
    return `Expected \`Upgrade: websocket\`, got ${upgrade === undefined ? 'none' : JSON.stringify(upgrade.slice(0, 64))}`;
  }
  const key = headerValue(headText, 'sec-websocket-key');
  if (key === undefined || !KEY.test(key)) {
    return `Expected a Sec-WebSocket-Key of 16 bytes in base64 (24 characters), got ${key === undefined ? 'none' : JSON.stringify(key.slice(0, 64))}`;
  }
  const version = headerValue(headText, 'sec-websocket-version');
  if (version !== '13') {
    return `Expected Sec-WebSocket-Version 13, got ${version === undefined ? 'none' : JSON.stringify(version.slice(0, 64))}`;
  }
  return null;
}
