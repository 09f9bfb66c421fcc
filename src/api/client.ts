import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { DaemonError, errorFromWire, TendError } from '../errors.js';
import type {
  DeleteReply,
  HealthReply,
  LogLine,
  ProgramDetail,
  ProgramSpecInput,
  SignalReply,
  SignalRequest,
} from './wire.js';

/** How a client reaches its daemon. */
export interface ApiClientOptions {
  /** `$TEND_HOME/tend.sock`. */
  socketPath: string;
  /** Called when no daemon answers (ENOENT, ECONNREFUSED) to start one; the request is then sent once more. */
  onUnreachable?: () => Promise<void>;
  /** Aborts every request of this client. */
  signal?: AbortSignal;
}

/** What `GET /v1/logs` is asked for. */
export interface LogsQuery {
  /** A program, or undefined for all. */
  name?: string;
  lines: number;
  stream: 'out' | 'err' | 'both';
  isFollowing: boolean;
}

/** What `stopDaemon` found. */
export type DaemonStopOutcome = 'stopped' | 'not-running';

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/** Errors that mean nothing was sent because nothing listens: safe to start a daemon and try again. */
const NOT_LISTENING_ERRNOS = new Set(['ENOENT', 'ECONNREFUSED']);

/** The daemon's control API over its Unix socket, one connection per request (so nothing keeps the CLI alive). */
export class ApiClient {
  readonly socketPath: string;
  readonly #onUnreachable: (() => Promise<void>) | undefined;
  readonly #signal: AbortSignal | undefined;
  #starting: Promise<void> | undefined;

  constructor(options: ApiClientOptions) {
    this.socketPath = options.socketPath;
    this.#onUnreachable = options.onUnreachable;
    this.#signal = options.signal;
  }

  /** Sends one request and returns the parsed JSON reply; an error reply becomes the TendError it names. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.#withAutostart(() =>
      this.#exchange(method, path, body, async (response) => {
        const text = await readText(response);
        return parseReply<T>(response.statusCode ?? 0, text);
      }),
    );
  }

  /** `GET /v1/health`. */
  health(): Promise<HealthReply> {
    return this.request('GET', '/v1/health');
  }

  /** `GET /v1/programs`, sorted by name. */
  listPrograms(): Promise<ProgramDetail[]> {
    return this.request('GET', '/v1/programs');
  }

  /** `GET /v1/programs/:name`; TEND_ERR_PROGRAM_NOT_FOUND when there is none. */
  getProgram(name: string): Promise<ProgramDetail> {
    return this.request('GET', `/v1/programs/${encodeURIComponent(name)}`);
  }

  /** The program of that name, or undefined when the daemon has none. */
  async findProgram(name: string): Promise<ProgramDetail | undefined> {
    try {
      return await this.getProgram(name);
    } catch (error) {
      if (error instanceof TendError && error.code === 'TEND_ERR_PROGRAM_NOT_FOUND')
        return undefined;
      throw error;
    }
  }

  /** `POST /v1/programs`: starts a new program. */
  createProgram(spec: ProgramSpecInput): Promise<ProgramDetail> {
    return this.request('POST', '/v1/programs', spec);
  }

  /** `POST /v1/programs/:target/start`. */
  startPrograms(target: string): Promise<ProgramDetail[]> {
    return this.request('POST', `${targetPath(target)}/start`);
  }

  /** `POST /v1/programs/:target/stop`; answers once every process has exited. */
  stopPrograms(target: string): Promise<ProgramDetail[]> {
    return this.request('POST', `${targetPath(target)}/stop`);
  }

  /** `POST /v1/programs/:target/restart`. */
  restartPrograms(target: string): Promise<ProgramDetail[]> {
    return this.request('POST', `${targetPath(target)}/restart`);
  }

  /** `DELETE /v1/programs/:target`. */
  deletePrograms(target: string): Promise<DeleteReply> {
    return this.request('DELETE', targetPath(target));
  }

  /** `POST /v1/programs/:target/signal`. */
  signalPrograms(target: string, body: SignalRequest): Promise<SignalReply> {
    return this.request('POST', `${targetPath(target)}/signal`, body);
  }

  /** `GET /v1/logs`: calls `onLine` for every line; resolves when the daemon ends the stream. */
  streamLogs(query: LogsQuery, onLine: (line: LogLine) => void): Promise<void> {
    const search = new URLSearchParams({
      lines: String(query.lines),
      stream: query.stream,
      follow: String(query.isFollowing),
    });
    if (query.name !== undefined) search.set('name', query.name);
    return this.#withAutostart(() =>
      this.#exchange('GET', `/v1/logs?${search}`, undefined, async (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          parseReply(status, await readText(response));
          return;
        }
        await readNdjson(response, (value) => onLine(value as LogLine));
      }),
    );
  }

  /**
   * `POST /v1/daemon/stop`, then waits until the daemon closes the connection, which it does
   * when it has stopped every process and exits: an event, not a polling loop.
   */
  stopDaemon(): Promise<DaemonStopOutcome> {
    checkSocketPath(this.socketPath);
    return new Promise<DaemonStopOutcome>((resolve, reject) => {
      const socket = connect(this.socketPath);
      let isConnected = false;
      let received = '';
      let outcome: { error?: TendError; isAccepted?: boolean } = {};
      const onAbort = () => socket.destroy(abortError());
      this.#signal?.addEventListener('abort', onAbort, { once: true });
      socket.setEncoding('utf8');
      socket.on('connect', () => {
        isConnected = true;
        socket.write('POST /v1/daemon/stop HTTP/1.1\r\nHost: tend\r\nContent-Length: 0\r\n\r\n');
      });
      socket.on('data', (chunk: string) => {
        received += chunk;
        outcome = readRawReply(received) ?? outcome;
        if (outcome.error) socket.destroy();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!isConnected && NOT_LISTENING_ERRNOS.has(error.code ?? '')) outcome.isAccepted = false;
        else if (!outcome.error && !outcome.isAccepted)
          outcome.error = connectionError(error, this.socketPath);
      });
      socket.on('close', () => {
        this.#signal?.removeEventListener('abort', onAbort);
        if (this.#signal?.aborted) reject(abortError());
        else if (outcome.error) reject(outcome.error);
        else if (outcome.isAccepted) resolve('stopped');
        else if (!isConnected) resolve('not-running');
        else
          reject(
            new DaemonError(
              'TEND_ERR_DAEMON_UNREACHABLE',
              'The daemon closed the connection before it answered',
            ),
          );
      });
    });
  }

  async #withAutostart<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (!this.#onUnreachable || !isNotListening(error)) throw error;
      let startError: unknown;
      try {
        // One start per client: requests that fail at the same time, or later, share it; a failed start may be tried again.
        this.#starting ??= this.#onUnreachable().catch((error: unknown) => {
          this.#starting = undefined;
          throw error;
        });
        await this.#starting;
      } catch (caught) {
        startError = caught;
      }
      try {
        return await send();
      } catch (retryError) {
        // Another CLI may have started the daemon at the same moment: only when the retry fails too is the start error the answer.
        throw startError !== undefined && isNotListening(retryError) ? startError : retryError;
      }
    }
  }

  #exchange<T>(
    method: string,
    path: string,
    body: unknown,
    onResponse: (response: IncomingMessage) => Promise<T>,
  ): Promise<T> {
    checkSocketPath(this.socketPath);
    return new Promise<T>((resolve, reject) => {
      if (this.#signal?.aborted) {
        reject(abortError());
        return;
      }
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      } else if (method !== 'GET') {
        headers['content-length'] = 0;
      }
      const request = httpRequest({
        socketPath: this.socketPath,
        host: 'tend',
        path,
        method,
        headers,
        agent: false,
        ...(this.#signal ? { signal: this.#signal } : {}),
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.name === 'AbortError' ? abortError() : connectionError(error, this.socketPath),
        );
      });
      request.on('response', (response) => {
        response.on('error', () => {});
        onResponse(response).then(
          (value) => (this.#signal?.aborted ? reject(abortError()) : resolve(value)),
          (error: unknown) => reject(this.#signal?.aborted ? abortError() : error),
        );
      });
      request.end(payload);
    });
  }
}

/** Whether an error means no daemon answers on the socket. */
export function isDaemonUnreachable(error: unknown): boolean {
  return error instanceof TendError && error.code === 'TEND_ERR_DAEMON_UNREACHABLE';
}

/** Whether an error is a request cut short by the caller's AbortSignal. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

const notListeningErrors = new WeakSet<object>();

function isNotListening(error: unknown): boolean {
  return typeof error === 'object' && error !== null && notListeningErrors.has(error);
}

function connectionError(error: NodeJS.ErrnoException, socketPath: string): TendError {
  if (NOT_LISTENING_ERRNOS.has(error.code ?? '')) {
    const unreachable = new DaemonError(
      'TEND_ERR_DAEMON_UNREACHABLE',
      `No daemon answers on ${socketPath}`,
      { cause: error },
    );
    notListeningErrors.add(unreachable);
    return unreachable;
  }
  if (error.code === 'EACCES') {
    return new DaemonError(
      'TEND_ERR_DAEMON_UNREACHABLE',
      `Permission denied on ${socketPath}: the daemon belongs to another user`,
      { cause: error },
    );
  }
  return new DaemonError(
    'TEND_ERR_DAEMON_UNREACHABLE',
    `The connection to the daemon failed (${error.code ?? error.message}) on ${socketPath}`,
    { cause: error },
  );
}

function checkSocketPath(socketPath: string): void {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new DaemonError(
      'TEND_ERR_DAEMON_UNREACHABLE',
      `Expected a socket path of at most ${MAX_SOCKET_PATH_BYTES} bytes, got ${socketPath}; choose a shorter TEND_HOME`,
    );
  }
}

function targetPath(target: string): string {
  return `/v1/programs/${encodeURIComponent(target)}`;
}

function abortError(): Error {
  const error = new Error('The command was interrupted');
  error.name = 'AbortError';
  return error;
}

function parseReply<T>(status: number, text: string): T {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new TendError(
      'TEND_ERR_INTERNAL',
      `The daemon answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  if (status >= 200 && status < 300) return body as T;
  throw errorFromWire(body, `The daemon answered ${status}: ${text.slice(0, 200)}`);
}

async function readText(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response) text += chunk;
  return text;
}

async function readNdjson(
  response: IncomingMessage,
  onValue: (value: unknown) => void,
): Promise<void> {
  response.setEncoding('utf8');
  let pending = '';
  try {
    for await (const chunk of response) {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== '') onValue(JSON.parse(line));
        newline = pending.indexOf('\n');
      }
    }
  } catch (error) {
    // A stream cut off by the daemon (it stopped) ends like a stream it closed; anything else is a real error.
    if (!isConnectionCutOff(error)) throw error;
    return;
  }
  if (pending.trim() !== '') onValue(JSON.parse(pending));
}

function isConnectionCutOff(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ECONNRESET' || code === 'EPIPE' || message === 'aborted';
}

/** Reads the status of a raw HTTP reply; an error status becomes the TendError in its body once the body is complete. */
function readRawReply(received: string): { error?: TendError; isAccepted?: boolean } | undefined {
  const headerEnd = received.indexOf('\r\n\r\n');
  if (headerEnd < 0) return undefined;
  const head = received.slice(0, headerEnd);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  if (status >= 200 && status < 300) return { isAccepted: true };
  const body = /\r\ntransfer-encoding:\s*chunked/i.test(head)
    ? decodeChunked(received.slice(headerEnd + 4))
    : completeBody(received.slice(headerEnd + 4), /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1]);
  if (body === undefined) return undefined;
  try {
    parseReply(status, body);
    return { error: new TendError('TEND_ERR_INTERNAL', `The daemon answered ${status} to stop`) };
  } catch (error) {
    return { error: error as TendError };
  }
}

function completeBody(body: string, contentLength: string | undefined): string | undefined {
  if (contentLength === undefined) return undefined;
  return Buffer.byteLength(body) >= Number(contentLength) ? body : undefined;
}

/** The body of a chunked reply once its last chunk arrived, else undefined. */
function decodeChunked(raw: string): string | undefined {
  const bytes = Buffer.from(raw);
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.concat(parts).toString('utf8');
    const start = lineEnd + 2;
    if (bytes.length < start + size + 2) return undefined;
    parts.push(bytes.subarray(start, start + size));
    at = start + size + 2;
  }
}
