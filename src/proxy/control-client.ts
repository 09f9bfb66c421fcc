import { connect, type Socket } from 'node:net';
import type {
  DaemonMessageInput,
  InstanceProxyStats,
  ProxyMessage,
  ProxyStats,
} from './control-protocol.js';
import { MAX_CONTROL_LINE_BYTES, UNANNOUNCED_CONTROL_PROTOCOL } from './control-protocol.js';
import { readJsonLines, writeJsonLine } from './json-lines.js';
import type { BoundAddress } from './proxy-listener.js';
import type { UpstreamMember } from './proxy-options.js';

/** A `configure` message without its type, as the daemon fills it in. */
export type ConfigureRequest = Omit<Extract<DaemonMessageInput, { type: 'configure' }>, 'type'>;

/** The error a proxy reported for a `configure` (code such as EADDRINUSE). */
export class ProxyConfigureError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ProxyConfigureError';
    this.code = code;
  }
}

/**
 * The daemon's side of the control socket: sends configure/upstreams/stats, and turns the
 * proxy's replies into promises and its events into listener calls.
 */
export class ProxyControlClient {
  readonly #socket: Socket;
  readonly #listeners = new Set<(message: ProxyMessage) => void>();
  readonly #statsWaiters = new Map<number, (stats: ProxyStats) => void>();
  #nextStatsId = 1;
  #protocol = UNANNOUNCED_CONTROL_PROTOCOL;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    readJsonLines(
      socket,
      MAX_CONTROL_LINE_BYTES,
      (value) => this.#onMessage(value as ProxyMessage),
      () => {},
    );
  }

  /** Connects to the proxy's control socket. */
  static connect(socketPath: string): Promise<ProxyControlClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', () => {});
        resolve(new ProxyControlClient(socket));
      });
    });
  }

  /**
   * The control protocol the proxy announced in its `hello`, UNANNOUNCED_CONTROL_PROTOCOL without
   * one. The proxy sends `hello` first, so it is known once `configure` has been answered.
   */
  get protocol(): number {
    return this.#protocol;
  }

  /** Calls `listener` with every message from the proxy; returns its remover. */
  onMessage(listener: (message: ProxyMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends a raw message. */
  send(message: DaemonMessageInput): void {
    writeJsonLine(this.#socket, message);
  }

  /** Configures the proxy; resolves with the bound address, rejects with ProxyConfigureError. */
  configure(request: ConfigureRequest): Promise<BoundAddress> {
    return new Promise((resolve, reject) => {
      const remove = this.onMessage((message) => {
        if (message.type === 'listening') {
          remove();
          resolve({ host: message.host, port: message.port });
        } else if (message.type === 'error') {
          remove();
          reject(new ProxyConfigureError(message.code, message.message));
        }
      });
      this.closed.then(() => {
        remove();
        reject(new ProxyConfigureError('ECONNRESET', 'The proxy closed its control socket'));
      });
      this.send({ type: 'configure', ...request });
    });
  }

  /** Sends the full membership. */
  setUpstreams(upstreams: readonly UpstreamMember[]): void {
    this.send({ type: 'upstreams', upstreams: [...upstreams] });
  }

  /** Asks for the per-instance counters. */
  async stats(): Promise<InstanceProxyStats[]> {
    return (await this.poolStats()).instances;
  }

  /** Asks for the pool-wide figures and the per-instance counters. */
  poolStats(): Promise<ProxyStats> {
    const id = this.#nextStatsId++;
    return new Promise((resolve, reject) => {
      this.#statsWaiters.set(id, resolve);
      this.closed.then(() => {
        if (this.#statsWaiters.delete(id)) reject(new Error('The proxy closed its control socket'));
      });
      this.send({ type: 'stats', id });
    });
  }

  /** Closes the connection (the proxy keeps running). */
  close(): Promise<void> {
    this.#socket.end();
    return this.closed;
  }

  #onMessage(message: ProxyMessage): void {
    if (message.type === 'hello' && Number.isInteger(message.protocol)) {
      this.#protocol = message.protocol;
    }
    if (message.type === 'stats' && typeof message.id === 'number') {
      const waiter = this.#statsWaiters.get(message.id);
      if (waiter !== undefined) {
        this.#statsWaiters.delete(message.id);
        waiter({
          waiting: message.waiting,
          unavailable: message.unavailable,
          instances: message.instances,
        });
      }
    }
    for (const listener of [...this.#listeners]) listener(message);
  }
}
