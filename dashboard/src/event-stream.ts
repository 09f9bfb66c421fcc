import { type Api, ApiError, backoffMs, sleep } from './api.js';
import { SseParser } from './sse.js';
import type { TendEvent } from './wire.js';

/** How the dashboard is connected to the daemon, as the status bar shows it. */
export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  /** The daemon has no event stream (an older version): the page polls instead. */
  | { kind: 'polling' }
  | { kind: 'retrying'; attempt: number; retryAt: number; reason: string }
  | { kind: 'refused'; message: string };

/** What the event stream reports to the page. */
export interface EventStreamHandlers {
  onEvent(event: TendEvent): void;
  /** The stream (re)connected or lost events: everything must be read again. */
  onResync(): void;
  onState(state: ConnectionState): void;
}

/**
 * `GET /v1/events` read with fetch() (the token goes in a header, never in the URL), parsed as
 * Server-Sent Events, and resumed after a lost connection with `?since=<last seq>` and a
 * growing delay between tries.
 */
export class EventStream {
  readonly #api: Api;
  readonly #handlers: EventStreamHandlers;
  readonly #abort = new AbortController();
  #lastSeq: number | null = null;

  constructor(api: Api, handlers: EventStreamHandlers) {
    this.#api = api;
    this.#handlers = handlers;
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      if (attempt === 0) this.#handlers.onState({ kind: 'connecting' });
      let reason = 'The daemon closed the event stream';
      let closedBecause: string | null = null;
      try {
        const since = this.#lastSeq === null ? '' : `?since=${this.#lastSeq}`;
        const parser = new SseParser((message) => {
          // Control messages of the stream itself, not daemon events.
          if (message.event === 'stream.open') return;
          if (message.event === 'stream.gap') {
            this.#handlers.onResync();
            return;
          }
          if (message.event === 'stream.closed') {
            closedBecause = (JSON.parse(message.data) as { reason?: string }).reason ?? null;
            return;
          }
          const event = JSON.parse(message.data) as TendEvent;
          this.#lastSeq = event.seq;
          this.#handlers.onEvent(event);
        });
        await this.#api.stream(
          `/v1/events${since}`,
          {
            onOpen: () => {
              attempt = 0;
              this.#handlers.onState({ kind: 'live' });
              this.#handlers.onResync();
            },
            onText: (text) => parser.push(text),
          },
          signal,
        );
        if (closedBecause !== null)
          reason = `The daemon cut the event stream off: ${closedBecause}`;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.isUnauthorized) {
          this.#handlers.onState({ kind: 'refused', message: error.message });
          return;
        }
        if (error instanceof ApiError && error.code === 'TEND_ERR_API_ROUTE_NOT_FOUND') {
          this.#handlers.onState({ kind: 'polling' });
          return;
        }
        // A daemon whose numbering is behind the page's (its state was lost): start afresh.
        if (error instanceof ApiError && error.code === 'TEND_ERR_EVENTS_SINCE_AHEAD') {
          this.#lastSeq = null;
        }
        reason = error instanceof Error ? error.message : String(error);
      }
      attempt++;
      const delay = backoffMs(attempt);
      this.#handlers.onState({ kind: 'retrying', attempt, retryAt: Date.now() + delay, reason });
      await sleep(delay, signal);
    }
  }
}
