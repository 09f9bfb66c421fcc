import { existsSync, watch } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { DaemonError, errorFromWire, TendError } from '../errors.js';
import { SseReader } from './sse-reader.js';
import type {
  AllocationReply,
  DeleteReply,
  EventStreamMessage,
  HealthReply,
  ListenerReply,
  ListenRequest,
  LogLine,
  ProgramActionResult,
  ProgramDetail,
  ProgramSpecInput,
  ProxyRestartReply,
  ReloadReply,
  ReloadRequestBody,
  SignalReply,
  SignalRequest,
  TaskReply,
  UpdateReply,
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

/** What `GET /v1/events` is asked for. */
export interface EventsQuery {
  /** Only events about these programs (daemon events always come). */
  program?: string | readonly string[];
  /** Only these kinds, exact or a prefix such as `instance.*`. */
  kind?: string | readonly string[];
  /** Replay the events after this sequence number first. */
  since?: number;
}

/** What `stopDaemon` found. */
export type DaemonStopOutcome = 'stopped' | 'not-running';

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the NUL). */
const MAX_SOCKET_PATH_BYTES = 107;

/** How long `stopDaemon` waits, after the connection closed, for the daemon to remove its socket as it exits. */
const SOCKET_REMOVAL_TIMEOUT_MS = 2_000;

/** Errors that mean nothing was sent because nothing listens: safe to start a daemon and try again. */
const NOT_LISTENING_ERRNOS = new Set(['ENOENT', 'ECONNREFUSED']);

/**
 * The daemon's control API over its Unix socket, one connection per request (so nothing keeps
 * the CLI alive). It speaks the little HTTP/1.1 it needs over node:net instead of node:http:
 * the first request through node:http costs about 10 ms of warm-up, a large part of the
 * start-up budget of `tend ls` (see docs/cli.md).
 */
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
    return this.#withAutostart(async () => {
      const chunks: Buffer[] = [];
      const head = await this.#exchange(method, path, body, (chunk) => chunks.push(chunk));
      return parseReply<T>(head.status, Buffer.concat(chunks).toString('utf8'));
    });
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

  /** `PUT /v1/programs/:name`: replaces a program's definition (running processes keep theirs until they are spawned again). */
  updateProgram(spec: ProgramSpecInput): Promise<UpdateReply> {
    return this.request('PUT', `/v1/programs/${encodeURIComponent(spec.name)}`, spec);
  }

  /** `POST /v1/programs/:target/start`; each program says which instances were already running. */
  startPrograms(target: string): Promise<ProgramActionResult[]> {
    return this.request('POST', `${targetPath(target)}/start`);
  }

  /** `POST /v1/programs/:target/stop`; answers once every process has exited. */
  stopPrograms(target: string): Promise<ProgramActionResult[]> {
    return this.request('POST', `${targetPath(target)}/stop`);
  }

  /** `POST /v1/programs/:target/restart`. */
  restartPrograms(target: string): Promise<ProgramActionResult[]> {
    return this.request('POST', `${targetPath(target)}/restart`);
  }

  /** `POST /v1/programs/:target/proxy/restart`: answers once each pool's new proxy listens. */
  restartProxies(target: string): Promise<ProxyRestartReply[]> {
    return this.request('POST', `${targetPath(target)}/proxy/restart`);
  }

  /** `POST /v1/programs/:name/scale`: `{to: N}` or `{by: ±N}`; refused past the pool's bounds. */
  scaleProgram(name: string, body: { to: number } | { by: number }): Promise<ProgramDetail> {
    return this.request('POST', `/v1/programs/${encodeURIComponent(name)}/scale`, body);
  }

  /** `POST /v1/programs/:name/reload`: answers once every instance was replaced, or with why the reload stopped. */
  reloadProgram(name: string, body: ReloadRequestBody): Promise<ReloadReply> {
    return this.request('POST', `/v1/programs/${encodeURIComponent(name)}/reload`, body);
  }

  /** `POST /v1/programs/:name/allocate`: leases a free ready instance, waiting up to `timeoutMs`. */
  allocate(
    name: string,
    body: { holder?: string; ttlMs?: number; timeoutMs?: number },
  ): Promise<AllocationReply> {
    return this.request('POST', `/v1/programs/${encodeURIComponent(name)}/allocate`, body);
  }

  /** `POST /v1/programs/:name/leases/:lease/release`. */
  releaseLease(name: string, lease: string, holder?: string): Promise<AllocationReply> {
    return this.request(
      'POST',
      `/v1/programs/${encodeURIComponent(name)}/leases/${encodeURIComponent(lease)}/release`,
      holder === undefined ? {} : { holder },
    );
  }

  /** `GET /v1/programs/:name/tasks`: the live tasks of a task program. */
  listTasks(name: string): Promise<TaskReply[]> {
    return this.request('GET', `/v1/programs/${encodeURIComponent(name)}/tasks`);
  }

  /** `POST /v1/programs/:name/tasks`: allocates a task, waiting up to `timeoutMs`. */
  allocateTask(
    name: string,
    body: { id?: string; owner?: string; timeoutMs?: number },
  ): Promise<TaskReply> {
    return this.request('POST', `/v1/programs/${encodeURIComponent(name)}/tasks`, body);
  }

  /** `DELETE /v1/programs/:name/tasks/:id`: ends a task. */
  closeTask(name: string, id: string): Promise<TaskReply> {
    return this.request(
      'DELETE',
      `/v1/programs/${encodeURIComponent(name)}/tasks/${encodeURIComponent(id)}`,
    );
  }

  /** `DELETE /v1/programs/:target`; with `force`, also a program that others depend on. */
  deletePrograms(target: string, options: { force?: boolean } = {}): Promise<DeleteReply> {
    return this.request('DELETE', `${targetPath(target)}${options.force ? '?force=true' : ''}`);
  }

  /** `POST /v1/programs/:target/signal`. */
  signalPrograms(target: string, body: SignalRequest): Promise<SignalReply> {
    return this.request('POST', `${targetPath(target)}/signal`, body);
  }

  /** `GET /v1/daemon/listener`: whether the API listens on TCP, and where. */
  getListener(): Promise<ListenerReply> {
    return this.request('GET', '/v1/daemon/listener');
  }

  /** `PUT /v1/daemon/listener`: listens on TCP there (saved for later starts). */
  setListener(body: ListenRequest): Promise<ListenerReply> {
    return this.request('PUT', '/v1/daemon/listener', body);
  }

  /** `DELETE /v1/daemon/listener`: stops listening on TCP (saved too). */
  closeListener(): Promise<ListenerReply> {
    return this.request('DELETE', '/v1/daemon/listener');
  }

  /** `GET /v1/logs`: calls `onLine` for every line; resolves when the daemon ends the stream. */
  streamLogs(query: LogsQuery, onLine: (line: LogLine) => void): Promise<void> {
    const search = new URLSearchParams({
      lines: String(query.lines),
      stream: query.stream,
      follow: String(query.isFollowing),
    });
    if (query.name !== undefined) search.set('name', query.name);
    return this.#withAutostart(async () => {
      const lines = new LineSplitter((line) => onLine(JSON.parse(line) as LogLine));
      const errorChunks: Buffer[] = [];
      let head: ReplyHead;
      try {
        head = await this.#exchange('GET', `/v1/logs?${search}`, undefined, (chunk, replyHead) => {
          if (isSuccess(replyHead.status)) lines.push(chunk);
          else errorChunks.push(chunk);
        });
      } catch (error) {
        // A stream cut off by the daemon (it stopped) ends like a stream it closed.
        if (!cutOffErrors.has(error as object)) throw error;
        lines.end();
        return;
      }
      if (!isSuccess(head.status))
        parseReply(head.status, Buffer.concat(errorChunks).toString('utf8'));
      lines.end();
    });
  }

  /**
   * `GET /v1/events`: calls `onEvent` for each message of the stream (`stream.open` first).
   * Resolves when the daemon ends the stream or `signal` aborts it; rejects on an error reply.
   */
  events(
    query: EventsQuery,
    onEvent: (message: EventStreamMessage) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const search = new URLSearchParams();
    for (const program of [query.program ?? []].flat()) search.append('program', program);
    for (const kind of [query.kind ?? []].flat()) search.append('kind', kind);
    if (query.since !== undefined) search.set('since', String(query.since));
    const path = `/v1/events${search.size > 0 ? `?${search}` : ''}`;
    return this.#withAutostart(async () => {
      const reader = new SseReader((message) =>
        onEvent({ ...JSON.parse(message.data), kind: message.event } as EventStreamMessage),
      );
      const errorChunks: Buffer[] = [];
      let head: ReplyHead;
      try {
        head = await this.#exchange(
          'GET',
          path,
          undefined,
          (chunk, replyHead) => {
            if (isSuccess(replyHead.status)) reader.push(chunk);
            else errorChunks.push(chunk);
          },
          signal,
        );
      } catch (error) {
        // The caller's own signal, or the daemon ending the stream (it stopped, or cut a slow reader off).
        if (signal?.aborted && isAbortError(error)) return;
        if (!cutOffErrors.has(error as object)) throw error;
        return;
      }
      if (!isSuccess(head.status))
        parseReply(head.status, Buffer.concat(errorChunks).toString('utf8'));
    });
  }

  /**
   * `POST /v1/daemon/stop`, then waits until the daemon closes the connection, which it does
   * when it has stopped every process, and removes its socket as it exits: events (the close,
   * then an inotify watch of the home), not a polling loop. So a command run right after finds
   * no daemon rather than one on its way out.
   */
  stopDaemon(): Promise<DaemonStopOutcome> {
    checkSocketPath(this.socketPath);
    return new Promise<DaemonStopOutcome>((resolve, reject) => {
      const socket = connect(this.socketPath);
      let isConnected = false;
      let isAccepted = false;
      let failure: unknown;
      const errorChunks: Buffer[] = [];
      const reader = new ReplyReader((chunk) => errorChunks.push(chunk));
      const onAbort = () => socket.destroy();
      this.#signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('connect', () => {
        isConnected = true;
        // Keep-alive (no `Connection: close`): the connection stays open until the daemon goes away.
        socket.write(requestText('POST', '/v1/daemon/stop', undefined, false));
      });
      socket.on('data', (chunk: Buffer) => {
        if (isAccepted || failure) return;
        try {
          reader.feed(chunk);
        } catch (error) {
          failure = error;
          socket.destroy();
          return;
        }
        if (reader.head && isSuccess(reader.head.status)) {
          isAccepted = true;
        } else if (reader.head && reader.isComplete) {
          try {
            parseReply(reader.head.status, Buffer.concat(errorChunks).toString('utf8'));
          } catch (error) {
            failure = error;
          }
          socket.destroy();
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (!isConnected && !NOT_LISTENING_ERRNOS.has(error.code ?? ''))
          failure ??= connectionError(error, this.socketPath);
      });
      socket.on('close', () => {
        this.#signal?.removeEventListener('abort', onAbort);
        if (this.#signal?.aborted) reject(abortError());
        else if (isAccepted)
          waitForRemoval(this.socketPath, SOCKET_REMOVAL_TIMEOUT_MS).then(() => resolve('stopped'));
        else if (failure) reject(failure);
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

  /** One request on a fresh connection; the body arrives through `onBody`, and the head is returned once the reply is whole. */
  #exchange(
    method: string,
    path: string,
    body: unknown,
    onBody: (chunk: Buffer, head: ReplyHead) => void,
    callSignal?: AbortSignal,
  ): Promise<ReplyHead> {
    checkSocketPath(this.socketPath);
    const signals = [this.#signal, callSignal].filter((signal) => signal !== undefined);
    return new Promise<ReplyHead>((resolve, reject) => {
      if (signals.some((signal) => signal.aborted)) {
        reject(abortError());
        return;
      }
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const socket: Socket = connect(this.socketPath);
      let isConnected = false;
      let isSettled = false;
      const reader = new ReplyReader((chunk) => onBody(chunk, reader.head as ReplyHead));
      const settle = (error?: unknown) => {
        if (isSettled) return;
        isSettled = true;
        for (const signal of signals) signal.removeEventListener('abort', onAbort);
        socket.destroy();
        if (error !== undefined) reject(error);
        else resolve(reader.head as ReplyHead);
      };
      const onAbort = () => settle(abortError());
      for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
      socket.on('connect', () => {
        isConnected = true;
        socket.write(requestText(method, path, payload, true));
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          reader.feed(chunk);
        } catch (error) {
          settle(error);
          return;
        }
        if (reader.isComplete) settle();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        settle(isConnected ? cutOff(reader, error) : connectionError(error, this.socketPath));
      });
      socket.on('close', () => settle(reader.end() ? undefined : cutOff(reader)));
    });
  }
}

/** Resolves once `path` no longer exists (watched, not polled), or after `timeoutMs` (a daemon that died without cleaning up). */
function waitForRemoval(path: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let watcher: ReturnType<typeof watch> | undefined;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    try {
      watcher = watch(dirname(path), (_event, name) => {
        if ((name === null || name === basename(path)) && !existsSync(path)) done();
      });
    } catch {
      done();
      return;
    }
    // Checked after the watch is set, so that a removal in between is not missed.
    if (!existsSync(path)) done();
  });
}

/** Whether an error means no daemon answers on the socket. */
export function isDaemonUnreachable(error: unknown): boolean {
  return error instanceof TendError && error.code === 'TEND_ERR_DAEMON_UNREACHABLE';
}

/** Whether an error is a request cut short by the caller's AbortSignal. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** The status and headers (lower-cased names) of an HTTP reply. */
interface ReplyHead {
  status: number;
  headers: Record<string, string>;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const LINE_END = Buffer.from('\r\n');
const MAX_HEAD_BYTES = 64 * 1024;

/**
 * Reads one HTTP/1.1 reply as it arrives: the head, then the body, framed by content-length,
 * chunked transfer encoding, or the end of the connection.
 */
class ReplyReader {
  head: ReplyHead | undefined;
  isComplete = false;
  readonly #onBody: (chunk: Buffer) => void;
  #pending: Buffer = Buffer.alloc(0);
  /** Body bytes still expected with content-length. */
  #remaining: number | undefined;
  #chunkState: 'size' | 'data' | 'data-end' | 'trailer' | undefined;
  #chunkLeft = 0;

  constructor(onBody: (chunk: Buffer) => void) {
    this.#onBody = onBody;
  }

  feed(chunk: Buffer): void {
    if (this.isComplete) return;
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    if (!this.head && !this.#readHead()) return;
    if (this.#chunkState) this.#readChunks();
    else if (this.#remaining !== undefined) this.#readLength();
    else this.#emit(this.#take(this.#pending.length));
  }

  /** The connection ended: whether the reply was whole (a reply framed by the connection's end is). */
  end(): boolean {
    if (this.head && !this.isComplete && this.#remaining === undefined && !this.#chunkState)
      this.isComplete = true;
    return this.isComplete;
  }

  #readHead(): boolean {
    const headEnd = this.#pending.indexOf(HEAD_END);
    if (headEnd < 0) {
      if (this.#pending.length > MAX_HEAD_BYTES) throw protocolError('a reply head over 64 KiB');
      return false;
    }
    const [statusLine = '', ...fields] = this.#take(headEnd + HEAD_END.length)
      .toString('latin1')
      .split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
    if (status === undefined)
      throw protocolError(`a reply that is not HTTP: ${JSON.stringify(statusLine.slice(0, 80))}`);
    const headers: Record<string, string> = {};
    for (const field of fields) {
      const colon = field.indexOf(':');
      if (colon > 0)
        headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim();
    }
    this.head = { status: Number(status), headers };
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      this.#chunkState = 'size';
    } else if (headers['content-length'] !== undefined) {
      this.#remaining = Number(headers['content-length']);
      if (!Number.isSafeInteger(this.#remaining) || this.#remaining < 0)
        throw protocolError('a bad content-length');
      if (this.#remaining === 0) this.isComplete = true;
    }
    return true;
  }

  #readLength(): void {
    const body = this.#take(Math.min(this.#remaining ?? 0, this.#pending.length));
    this.#remaining = (this.#remaining ?? 0) - body.length;
    this.#emit(body);
    if (this.#remaining === 0) this.isComplete = true;
  }

  #readChunks(): void {
    while (!this.isComplete) {
      if (this.#chunkState === 'data') {
        const data = this.#take(Math.min(this.#chunkLeft, this.#pending.length));
        this.#chunkLeft -= data.length;
        this.#emit(data);
        if (this.#chunkLeft > 0) return;
        this.#chunkState = 'data-end';
        continue;
      }
      const lineEnd = this.#pending.indexOf(LINE_END);
      if (lineEnd < 0) return;
      const line = this.#take(lineEnd + LINE_END.length)
        .toString('latin1')
        .slice(0, -2);
      if (this.#chunkState === 'data-end') {
        this.#chunkState = 'size';
      } else if (this.#chunkState === 'trailer') {
        if (line === '') this.isComplete = true;
      } else {
        const size = Number.parseInt(line, 16);
        if (!Number.isSafeInteger(size) || size < 0) throw protocolError('a bad chunk size');
        this.#chunkLeft = size;
        this.#chunkState = size === 0 ? 'trailer' : 'data';
      }
    }
  }

  #take(length: number): Buffer {
    const taken = this.#pending.subarray(0, length);
    this.#pending = this.#pending.subarray(length);
    return taken;
  }

  #emit(chunk: Buffer): void {
    if (chunk.length > 0) this.#onBody(chunk);
  }
}

/** Splits a byte stream into lines (UTF-8, without the newline) as the bytes arrive. */
class LineSplitter {
  readonly #onLine: (line: string) => void;
  #pending: Buffer = Buffer.alloc(0);

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let newline = this.#pending.indexOf(0x0a);
    while (newline >= 0) {
      this.#emit(this.#pending.subarray(0, newline));
      this.#pending = this.#pending.subarray(newline + 1);
      newline = this.#pending.indexOf(0x0a);
    }
  }

  end(): void {
    this.#emit(this.#pending);
    this.#pending = Buffer.alloc(0);
  }

  #emit(bytes: Buffer): void {
    const line = bytes.toString('utf8');
    if (line.trim() !== '') this.#onLine(line);
  }
}

function requestText(
  method: string,
  path: string,
  payload: string | undefined,
  isClosing: boolean,
): string {
  let head = `${method} ${path} HTTP/1.1\r\nHost: tend\r\nAccept: application/json\r\n`;
  if (isClosing) head += 'Connection: close\r\n';
  if (payload !== undefined) {
    head += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`;
  } else if (method !== 'GET') {
    // No content-type without a body: a JSON parser would reject an empty JSON body.
    head += 'Content-Length: 0\r\n';
  }
  return `${head}\r\n${payload ?? ''}`;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

const notListeningErrors = new WeakSet<object>();
const cutOffErrors = new WeakSet<object>();

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

/** The daemon went away after the request was sent: before its reply, or in the middle of it. */
function cutOff(reader: ReplyReader, cause?: Error): TendError {
  const error = new DaemonError(
    'TEND_ERR_DAEMON_UNREACHABLE',
    reader.head
      ? 'The daemon closed the connection before its reply was complete'
      : 'The daemon closed the connection before it answered',
    { cause },
  );
  if (reader.head) cutOffErrors.add(error);
  return error;
}

function protocolError(what: string): TendError {
  return new TendError('TEND_ERR_INTERNAL', `The daemon sent ${what}`);
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
  if (isSuccess(status)) return body as T;
  throw errorFromWire(body, `The daemon answered ${status}: ${text.slice(0, 200)}`);
}
