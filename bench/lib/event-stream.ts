/**
 * A client of tend's `GET /v1/events` (Server-Sent Events over the daemon's Unix socket) that
 * notes when each event's bytes arrived, for latency, and can wait for one event.
 */
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One Server-Sent Event as received: its `event:` name, its parsed `data:` JSON, and when its chunk arrived. */
export interface ReceivedEvent {
  name: string;
  data: Record<string, unknown>;
  /** performance.now() when the chunk that completed the event was read from the socket. */
  receivedAt: number;
}

type Waiter = {
  isMatch: (event: ReceivedEvent) => boolean;
  resolve: (event: ReceivedEvent) => void;
  reject: (error: Error) => void;
};

/** An open event stream; `close()` ends it. */
export class EventStreamClient {
  readonly #request: ClientRequest;
  readonly #waiters = new Set<Waiter>();
  #response: IncomingMessage | undefined;
  #buffer = '';
  #isClosed = false;
  #failure: Error | undefined;
  /** Events received so far, when `isKeeping` was asked for. */
  readonly received: ReceivedEvent[] = [];
  /** Bytes received so far. */
  bytes = 0;

  private constructor(socketPath: string, path: string, isKeeping: boolean) {
    this.#request = request({ socketPath, path, method: 'GET', agent: false }, (response) => {
      this.#response = response;
      response.setEncoding('utf8');
      if (response.statusCode !== 200) {
        let body = '';
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          this.#fail(
            new Error(`GET ${path} answered ${response.statusCode}: ${body.slice(0, 300)}`),
          ),
        );
        return;
      }
      response.on('end', () => this.#fail(new Error(`the daemon ended GET ${path}`)));
      response.on('data', (chunk: string) => {
        const receivedAt = performance.now();
        this.bytes += Buffer.byteLength(chunk);
        for (const event of this.#parse(chunk, receivedAt)) {
          if (isKeeping) this.received.push(event);
          for (const waiter of this.#waiters) {
            if (!waiter.isMatch(event)) continue;
            this.#waiters.delete(waiter);
            waiter.resolve(event);
          }
        }
      });
      response.on('error', () => {});
    });
    this.#request.on('error', (error) => this.#fail(error));
    this.#request.end();
  }

  /**
   * Opens `GET <path>` on the socket and resolves once the stream is open: its status is 200
   * and the daemon's first event (`stream.open`) has arrived, so nothing later can be missed.
   */
  static async open(
    socketPath: string,
    { path = '/v1/events', isKeeping = false, timeoutMs = 10_000 } = {},
  ): Promise<EventStreamClient> {
    const client = new EventStreamClient(socketPath, path, isKeeping);
    try {
      await client.next(() => true, timeoutMs);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  /** Resolves with the first event from now on that matches; rejects after `timeoutMs` or when the stream fails. */
  next(isMatch: (event: ReceivedEvent) => boolean, timeoutMs: number): Promise<ReceivedEvent> {
    return new Promise((resolve, reject) => {
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      const waiter: Waiter = {
        isMatch,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no matching event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Whether the stream failed or ended on the daemon's side. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  close(): void {
    this.#isClosed = true;
    this.#request.destroy();
    this.#response?.destroy();
  }

  #fail(error: Error): void {
    if (this.#isClosed || this.#failure) return;
    this.#failure = error;
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#waiters.clear();
  }

  /** Splits the text into complete events (blank-line separated); keeps a partial one for the next chunk. */
  *#parse(chunk: string, receivedAt: number): Generator<ReceivedEvent> {
    this.#buffer += chunk.replaceAll('\r\n', '\n');
    for (let end = this.#buffer.indexOf('\n\n'); end >= 0; end = this.#buffer.indexOf('\n\n')) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue; // a comment (keep-alive) or an id alone
      yield { name, data: parseData(data.join('\n')), receivedAt };
    }
  }
}

function parseData(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return { text };
  }
}
