import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { formatDuration } from '../config/human-units.js';
import type { ErrorCode, WireError } from '../errors.js';
import { ERROR_TABLE } from '../errors.js';

/** How long, after answering a broken request, the connection is kept to read what the client still sends. */
const CLIENT_ERROR_GRACE_MS = 1_000;

/**
 * The answer to a request that never reached a route (it timed out, or is not HTTP), in tend's
 * error shape instead of fastify's: Node reports these on the socket, before there is a request.
 */
export function clientErrorAnswerer(
  requestTimeoutMs: number,
): (error: NodeJS.ErrnoException, socket: Socket) => void {
  const answered = new WeakSet<Socket>();
  return (error, socket) => {
    // A client that went away needs no answer; Node reports each later chunk of a broken request again.
    if (error.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    const { code, message } = describeClientError(error, requestTimeoutMs);
    const status = ERROR_TABLE[code].status;
    const body = JSON.stringify({ error: { code, message } } satisfies WireError);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // The client may still be sending (a body the parser could not frame, a slow upload): read on
    // and discard it until the client closes, for a short while. Closing with unread bytes resets
    // the connection, and the client would get ECONNRESET or EPIPE instead of this answer.
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), CLIENT_ERROR_GRACE_MS);
    timer.unref();
    socket.once('end', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
  };
}

function describeClientError(
  error: NodeJS.ErrnoException,
  requestTimeoutMs: number,
): { code: ErrorCode; message: string } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      code: 'TEND_ERR_API_REQUEST_TIMEOUT',
      message: `Expected the whole request (headers and body) within ${formatDuration(requestTimeoutMs)}; it was still arriving`,
    };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return {
      code: 'TEND_ERR_API_HEADERS_TOO_LARGE',
      message: 'Expected request headers of at most 16 KiB',
    };
  }
  return {
    code: 'TEND_ERR_API_MALFORMED_REQUEST',
    message: `Expected an HTTP/1.1 request, got bytes that do not parse as one (${error.code ?? error.message})`,
  };
}
