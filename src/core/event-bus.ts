import type { TendEvent, TendEventBody } from './events.js';

/** How many recent events the bus keeps for `?since=` resumption. */
export const DEFAULT_EVENT_RING_SIZE = 4096;

/** Receives each event synchronously, in order, as it is emitted. */
export type EventListener = (event: TendEvent) => void;

/** What `replaySince` found: the events after `seq`, or that the ring no longer reaches back that far. */
export type Replay =
  | { ok: true; events: TendEvent[] }
  | { ok: false; oldestSeq: number; nextSeq: number };

/** How a bus is built; the clock is injectable so tests control `time`. */
export interface EventBusOptions {
  ringSize?: number;
  /** The first sequence number to hand out (continued across daemon runs). */
  firstSeq?: number;
  now?: () => number;
  /** Told when a listener throws; the bus itself never lets one listener break another. */
  onListenerError?: (error: unknown, event: TendEvent) => void;
}

/**
 * The daemon's one stream of typed events: numbers and stamps each event, hands it to every
 * subscriber synchronously in emission order, and keeps a bounded ring of recent events so
 * that a client can resume after a reconnect without a gap.
 */
export class EventBus {
  readonly #listeners = new Set<EventListener>();
  readonly #ring: TendEvent[] = [];
  readonly #ringSize: number;
  readonly #now: () => number;
  readonly #onListenerError: (error: unknown, event: TendEvent) => void;
  #nextSeq: number;
  #emitted = 0;
  /** Events stamped but not yet delivered: an event emitted by a listener waits for the one being delivered. */
  readonly #undelivered: TendEvent[] = [];
  #isDelivering = false;

  constructor(options: EventBusOptions = {}) {
    this.#ringSize = options.ringSize ?? DEFAULT_EVENT_RING_SIZE;
    this.#nextSeq = options.firstSeq ?? 1;
    this.#now = options.now ?? Date.now;
    this.#onListenerError = options.onListenerError ?? (() => {});
  }

  /** The sequence number the next event will get. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** How many listeners are subscribed (the event stream's clients among them). */
  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** How many events this bus has emitted. */
  get emittedCount(): number {
    return this.#emitted;
  }

  /**
   * Stamps and delivers one event; returns it. An event emitted from inside a listener is
   * delivered after the current one has reached every listener, so all see the same order.
   */
  emit(body: TendEventBody): TendEvent {
    const event = {
      ...body,
      seq: this.#nextSeq++,
      time: new Date(this.#now()).toISOString(),
    } as TendEvent;
    this.#emitted += 1;
    this.#ring.push(event);
    if (this.#ring.length > this.#ringSize) this.#ring.shift();
    this.#undelivered.push(event);
    if (!this.#isDelivering) this.#deliver();
    return event;
  }

  /** Adds a listener; returns its remover. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The oldest sequence number the ring still holds (the next one when it is empty). */
  get oldestSeq(): number {
    return this.#ring[0]?.seq ?? this.#nextSeq;
  }

  /** The events with a sequence number above `seq`, if the ring still holds all of them. */
  replaySince(seq: number): Replay {
    const oldest = this.#ring[0]?.seq ?? this.#nextSeq;
    if (seq + 1 < oldest) return { ok: false, oldestSeq: oldest, nextSeq: this.#nextSeq };
    return { ok: true, events: this.#ring.filter((event) => event.seq > seq) };
  }

  #deliver(): void {
    this.#isDelivering = true;
    try {
      for (let event = this.#undelivered.shift(); event; event = this.#undelivered.shift()) {
        // A listener added while this event is delivered starts with the next one.
        for (const listener of [...this.#listeners]) {
          if (!this.#listeners.has(listener)) continue;
          try {
            listener(event);
          } catch (error) {
            this.#onListenerError(error, event);
          }
        }
      }
    } finally {
      this.#isDelivering = false;
    }
  }
}
