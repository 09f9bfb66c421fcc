import type { Socket } from 'node:net';
import type { ExchangeClient } from '../http/proxy-exchange.js';

/**
 * The client of a plain HTTP request to a task, as its exchange sees it: calls `onDone` once when
 * the exchange ends (answered, or the connection destroyed), before the connection reads its next
 * request, so that the request counts as one of the task's connections while it is in flight.
 */
export class CountedClient implements ExchangeClient {
  readonly #client: ExchangeClient;
  #onDone: (() => void) | undefined;

  constructor(client: ExchangeClient, onDone: () => void) {
    this.#client = client;
    this.#onDone = onDone;
  }

  get isKeepAliveAllowed(): boolean {
    return this.#client.isKeepAliveAllowed;
  }

  write(data: Buffer | string): boolean {
    return this.#client.write(data);
  }

  pauseReading(): void {
    this.#client.pauseReading();
  }

  resumeReading(): void {
    this.#client.resumeReading();
  }

  onExchangeDone(isKeepAlive: boolean): void {
    this.done();
    this.#client.onExchangeDone(isKeepAlive);
  }

  destroy(): void {
    this.done();
    this.#client.destroy();
  }

  startTunnel(head: string, upstreamBytes: Buffer, upstream: Socket, onClose: () => void): void {
    this.#client.startTunnel(head, upstreamBytes, upstream, onClose);
  }

  /** The request is over (also when its client went away): `onDone` runs, once. */
  done(): void {
    const onDone = this.#onDone;
    this.#onDone = undefined;
    onDone?.();
  }
}
