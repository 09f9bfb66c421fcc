import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../errors.js';
import type { LogRecord } from '../../logs/types.js';
import { parseInput } from '../parse-input.js';
import type { LogLine } from '../wire.js';
import { parseNameParam } from './program-target.js';

/** What the log routes need from the log capture. */
export interface LogSource {
  /** The last lines, oldest first; synchronous so that no line falls between the tail and the follow. */
  tail(query: { name?: string; lines: number; stream: 'out' | 'err' | 'both' }): LogRecord[];
  onLine(listener: (record: LogRecord) => void): () => void;
  isKnown(name: string): boolean;
}

/** A follower that reads slower than this many buffered bytes is cut off rather than grow the daemon's memory. */
const MAX_FOLLOWER_BACKLOG_BYTES = 16 * 1024 * 1024;

const LogsQuery = z.strictObject({
  name: z.string().min(1).max(256).optional(),
  lines: z.coerce.number().int().min(0).max(100_000).default(20),
  stream: z.enum(['out', 'err', 'both']).default('both'),
  follow: z.enum(['true', 'false', '1', '0']).default('false'),
});

/** `GET /v1/logs`: the last lines, then (with follow) new ones as they are written, as NDJSON. */
export function registerLogRoutes(app: FastifyInstance, logs: LogSource): void {
  app.get('/v1/logs', async (request, reply) => {
    const query = parseInput(LogsQuery, request.query, 'query');
    const name =
      query.name === undefined || query.name === 'all'
        ? undefined
        : parseNameParam({ name: query.name });
    if (name !== undefined && !logs.isKnown(name)) {
      throw new NotFoundError(
        'TEND_ERR_PROGRAM_NOT_FOUND',
        `No program named \`${name}\` and no logs of one`,
      );
    }
    const isFollowing = query.follow === 'true' || query.follow === '1';
    const matches = (record: LogRecord) =>
      (name === undefined || record.name === name) &&
      (query.stream === 'both' || record.stream === query.stream);

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const backlog = logs.tail({
      ...(name === undefined ? {} : { name }),
      lines: query.lines,
      stream: query.stream,
    });
    raw.write(backlog.map(toNdjson).join(''));
    if (!isFollowing) {
      raw.end();
      return;
    }
    const unsubscribe = logs.onLine((record) => {
      if (!matches(record)) return;
      raw.write(toNdjson(record));
      if (raw.writableLength > MAX_FOLLOWER_BACKLOG_BYTES) {
        unsubscribe();
        raw.end();
      }
    });
    raw.once('close', unsubscribe);
  });
}

function toNdjson(record: LogRecord): string {
  const line: LogLine = {
    name: record.name,
    instance: record.instance,
    stream: record.stream,
    time: new Date(record.time).toISOString(),
    line: record.line,
  };
  return `${JSON.stringify(line)}\n`;
}
