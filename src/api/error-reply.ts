import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, WireError } from '../errors.js';
import { TendError } from '../errors.js';

/** Fastify's own client errors (bad JSON, too large, wrong media type), mapped onto tend's codes. */
const FASTIFY_CODES: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    code: 'TEND_ERR_API_MALFORMED_JSON',
    message: 'Expected a JSON body, got text that does not parse as JSON',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'TEND_ERR_API_MALFORMED_JSON',
    message: 'Expected a JSON body, got an empty body with Content-Type application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'TEND_ERR_API_BODY_TOO_LARGE',
    message: 'Expected a body of at most 1 MiB',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'TEND_ERR_API_UNSUPPORTED_MEDIA_TYPE',
    message: 'Expected a body with Content-Type application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'TEND_ERR_API_INVALID_BODY',
    message: 'Expected the body length to match Content-Length',
  },
};

/** Turns any error thrown by a route into the wire error body and its status; unknown errors are logged as bugs. */
export function toWireError(
  error: unknown,
  logBug: (error: unknown) => void,
): { status: number; body: WireError } {
  if (error instanceof TendError) return { status: error.status, body: error.toWire() };
  const fastifyError = error as Partial<FastifyError>;
  const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known) {
    const status = fastifyError.statusCode ?? 400;
    return { status, body: { error: { code: known.code, message: known.message } } };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    const message = fastifyError.message ?? 'Bad request';
    return {
      status: fastifyError.statusCode,
      body: { error: { code: 'TEND_ERR_API_INVALID_BODY', message } },
    };
  }
  logBug(error);
  return {
    status: 500,
    body: {
      error: { code: 'TEND_ERR_INTERNAL', message: 'Internal error; the daemon log has details' },
    },
  };
}

/** Fastify error handler that answers every error with `{"error":{code,message}}`. */
export function replyWithError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const { status, body } = toWireError(error, (bug) =>
    request.log.error({ err: bug }, 'unhandled error'),
  );
  return reply.status(status).send(body);
}

/**
 * Fastify's `clientErrorHandler`: a request Node gave up on before any route saw it (too slow,
 * headers too large, not HTTP) is answered in tend's error shape, and its connection closed.
 */
export function replyToClientError(
  requestTimeoutMs: number,
): (this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex) => void {
  return function onClientError(error, socket) {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, body } = describeClientError(error, requestTimeoutMs);
    this.log.warn({ code: error.code, status }, 'client error');
    if (socket.writable) {
      const text = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    }
    socket.destroy(error);
  };
}

function describeClientError(
  error: NodeJS.ErrnoException,
  requestTimeoutMs: number,
): { status: number; body: WireError } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const message = `Expected the whole request within ${requestTimeoutMs} ms; it was still arriving, so the connection is closed`;
    return { status: 408, body: { error: { code: 'TEND_ERR_API_REQUEST_TIMEOUT', message } } };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    const message = 'Expected request headers of at most 16 KiB in all';
    return { status: 431, body: { error: { code: 'TEND_ERR_API_HEADERS_TOO_LARGE', message } } };
  }
  const message = 'Expected an HTTP/1.1 request; what arrived does not parse as one';
  return { status: 400, body: { error: { code: 'TEND_ERR_API_INVALID_BODY', message } } };
}
