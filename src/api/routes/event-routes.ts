import type { FastifyInstance } from 'fastify';
import type { EventBus } from '../../core/event-bus.js';
import type { TendEvent } from '../../core/events.js';
import { matchesEventQuery, parseEventQuery } from '../event-query.js';

/** How often an idle event stream gets a comment line, so proxies and clients see it is alive. */
export const EVENT_KEEP_ALIVE_MS = 15_000;

/** A client that lets more than this wait in its socket's write buffer is cut off: the daemon never buffers without bound. */
export const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;

/** How long a cut-off client has to take the rest of its buffer before its socket is destroyed. */
const CUT_OFF_GRACE_MS = 5_000;

/** Why an event stream ended, for the daemon log (and tests). */
export type EventStreamEnd = 'client-closed' | 'too-slow';

/** Tunables of the event stream; tests make them small. */
export interface EventStreamOptions {
  keepAliveMs?: number;
  maxBacklogBytes?: number;
  onStreamEnd?: (why: EventStreamEnd) => void;
}

/**
 * `GET /v1/events`: the daemon's events as Server-Sent Events. With `since` (or Last-Event-ID)
 * the ring's events after it come first, then live ones, with no gap and no duplicate: the
 * replay and the subscription happen in one synchronous step, and the bus delivers in order.
 */
export function registerEventRoutes(
  app: FastifyInstance,
  options: { bus: EventBus; events?: EventStreamOptions },
): void {
  const { bus } = options;
  const keepAliveMs = options.events?.keepAliveMs ?? EVENT_KEEP_ALIVE_MS;
  const maxBacklogBytes = options.events?.maxBacklogBytes ?? MAX_EVENT_BACKLOG_BYTES;
  const onStreamEnd = options.events?.onStreamEnd ?? (() => {});

  app.get('/v1/events', async (request, reply) => {
    const lastEventId = request.headers['last-event-id'];
    const query = parseEventQuery(
      request.query as Record<string, unknown>,
      typeof lastEventId === 'string' ? lastEventId : undefined,
      bus.nextSeq - 1,
    );

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    let isOpen = true;
    let unsubscribe = () => {};
    let keepAlive: NodeJS.Timeout | undefined;
    // The replay is bounded by the ring and may be larger than the bound: the bound counts on top of it.
    let backlogLimit = Number.POSITIVE_INFINITY;
    const write = (text: string) => {
      if (!isOpen) return;
      raw.write(text);
      // Node's HTTP response corks its socket on each write until the next tick; an event emitted
      // just before the daemon spawns a replacement would wait out that spawn. Sent now instead.
      raw.socket?.uncork();
      if (raw.writableLength > backlogLimit) cutOff();
    };
    const send = (event: TendEvent) => {
      if (matchesEventQuery(query, event)) {
        write(`id: ${event.seq}\nevent: ${event.kind}\ndata: ${JSON.stringify(event)}\n\n`);
      }
    };
    const close = (why: EventStreamEnd) => {
      if (!isOpen) return;
      isOpen = false;
      unsubscribe();
      clearInterval(keepAlive);
      onStreamEnd(why);
    };
    const cutOff = () => {
      const reason = `the client read too slowly: more than ${maxBacklogBytes} bytes of events waited to be sent`;
      raw.write(`event: stream.closed\ndata: ${JSON.stringify({ reason })}\n\n`);
      close('too-slow');
      request.log.warn({ reason }, 'event stream client cut off');
      raw.end();
      const destroy = setTimeout(() => raw.destroy(), CUT_OFF_GRACE_MS);
      destroy.unref();
      raw.once('close', () => clearTimeout(destroy));
    };

    write(`event: stream.open\ndata: ${JSON.stringify({ nextSeq: bus.nextSeq })}\n\n`);
    if (query.since !== undefined) {
      let replay = bus.replaySince(query.since);
      if (!replay.ok) {
        const { oldestSeq, nextSeq } = replay;
        write(`event: stream.gap\ndata: ${JSON.stringify({ oldestSeq, nextSeq })}\n\n`);
        replay = bus.replaySince(oldestSeq - 1);
      }
      if (replay.ok) for (const event of replay.events) send(event);
    }
    backlogLimit = raw.writableLength + maxBacklogBytes;
    // Same synchronous step as the replay: no event can fall between the two.
    unsubscribe = bus.subscribe(send);
    keepAlive = setInterval(() => write(': keep-alive\n\n'), keepAliveMs);
    keepAlive.unref();
    raw.once('close', () => close('client-closed'));
  });
}
