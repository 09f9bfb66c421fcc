import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, WireError } from '../errors.js';
import { TendError } from '../errors.js';
import { MAX_BODY_BYTES } from './wire.js';

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
    message: `Expected a body of at most 1 MiB (${MAX_BODY_BYTES} bytes)`,
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

/**
 * Fastify error handler that answers every error with `{"error":{code,message}}`. A body refused
 * before it was read whole (too large) is read and discarded first: a connection closed with
 * unread bytes is reset, and the client then gets ECONNRESET or EPIPE instead of the answer.
 */
export async function replyWithError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { status, body } = toWireError(error, (bug) =>
    request.log.error({ err: bug }, 'unhandled error'),
  );
  if (!request.raw.complete) {
    await drain(request.raw);
    // Fastify asks to close a connection whose body it left unread; once it is read, the
    // connection is clean and stays open if the client wants it (closing right after the answer
    // races the client's last write, which then fails with EPIPE before it reads the answer).
    reply.removeHeader('connection');
  }
  return reply.status(status).send(body);
}

/** Reads the rest of a request body into nothing; resolves at its end, or when the client goes away. */
function drain(stream: FastifyRequest['raw']): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.readableEnded) {
      resolve();
      return;
    }
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', resolve);
    stream.resume();
  });
}
