import { connect, type Socket } from 'node:net';
import { isDescriptorLimit, reportDescriptorLimit } from '../open-file-limit.js';
import { pipeSockets } from '../pipe-sockets.js';
import type { SettingsSource } from '../proxy-listener.js';
import { UPSTREAM_CONNECT_TIMEOUT_MS } from '../proxy-options.js';
import { SHARED_READ_BUFFER } from '../shared-read-buffer.js';
import type { Upstream } from '../upstream.js';
import type { UpstreamRegistry, UpstreamWaiter } from '../upstream-registry.js';

/** One client connection in TCP mode: finds a ready instance that accepts a connection, then pipes bytes both ways. */
export class TcpForward implements UpstreamWaiter {
  readonly #client: Socket;
  readonly #source: SettingsSource;
  readonly #registry: UpstreamRegistry;
  #tried: Upstream[] | undefined;
  #attempts = 0;
  #deadlineMs = -1;
  #waitTimer: NodeJS.Timeout | undefined;
  #isWaiting = false;
  #isOver = false;
  #pendingSocket: Socket | undefined;
  #pendingUpstream: Upstream | undefined;

  constructor(client: Socket, source: SettingsSource, registry: UpstreamRegistry) {
    this.#client = client;
    this.#source = source;
    this.#registry = registry;
  }

  start(): void {
    this.#client.on('error', () => {});
    this.#client.once('close', () => this.#onClientGone());
    this.#dispatch();
  }

  onUpstreamMaybeAvailable(): void {
    this.#isWaiting = false;
    if (!this.#isOver) this.#dispatch();
  }

  #dispatch(): void {
    const nowMs = performance.now();
    const upstream = this.#registry.pick(nowMs, this.#tried);
    if (upstream === undefined) {
      this.#wait(nowMs);
      return;
    }
    this.#stopWaiting();
    upstream.outstanding++;
    upstream.requests++;
    if (this.#attempts > 0) upstream.retries++;
    this.#attempts++;
    const client = this.#client;
    const socket = connect({
      host: upstream.host,
      port: upstream.port,
      noDelay: true,
      allowHalfOpen: true,
      // Upstream → client skips the upstream's stream machinery; returning false stops reading
      // until the client drains (pipeSockets resumes it).
      onread: {
        buffer: SHARED_READ_BUFFER,
        callback: (bytesRead: number, buffer: Uint8Array): boolean =>
          client.write(Buffer.from(buffer.subarray(0, bytesRead))),
      },
    });
    this.#pendingSocket = socket;
    this.#pendingUpstream = upstream;
    socket.setTimeout(UPSTREAM_CONNECT_TIMEOUT_MS);
    const onFailure = (code: string): void => {
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.destroy();
      this.#pendingSocket = undefined;
      this.#pendingUpstream = undefined;
      upstream.outstanding--;
      if (isDescriptorLimit(code)) {
        // The proxy is out of files, not the instance at fault: no retry, no failure counted.
        reportDescriptorLimit(code, 'connect');
        this.#isOver = true;
        this.#client.destroy();
        return;
      }
      this.#registry.recordFailure(upstream, code, performance.now());
      if (this.#isOver) return;
      this.#tried ??= [];
      this.#tried.push(upstream);
      this.#dispatch();
    };
    socket.once('timeout', () => onFailure('ETIMEDOUT'));
    socket.once('error', (error: NodeJS.ErrnoException) => onFailure(error.code ?? 'EIO'));
    socket.once('connect', () => {
      socket.removeAllListeners();
      socket.setTimeout(0);
      this.#pendingSocket = undefined;
      this.#pendingUpstream = undefined;
      const connectedMs = performance.now();
      upstream.latency.record(connectedMs - nowMs, connectedMs);
      this.#registry.recordSuccess(upstream);
      this.#registry.recordHiddenFailures(this.#tried);
      pipeSockets(this.#client, socket, () => {
        upstream.outstanding--;
      });
      this.#client.resume();
    });
  }

  #wait(nowMs: number): void {
    if (this.#deadlineMs === -1) this.#deadlineMs = nowMs + this.#source.settings.waitForReadyMs;
    const remainingMs = this.#deadlineMs - nowMs;
    if (remainingMs <= 0) {
      this.#stopWaiting();
      this.#isOver = true;
      this.#registry.recordUnavailable();
      this.#client.destroy();
      return;
    }
    this.#isWaiting = true;
    this.#registry.addWaiter(this, nowMs);
    this.#waitTimer ??= setTimeout(() => {
      this.#waitTimer = undefined;
      this.#stopWaiting();
      this.#isOver = true;
      this.#registry.recordUnavailable();
      this.#client.destroy();
    }, Math.ceil(remainingMs));
  }

  #stopWaiting(): void {
    if (this.#waitTimer !== undefined) {
      clearTimeout(this.#waitTimer);
      this.#waitTimer = undefined;
    }
    if (this.#isWaiting) {
      this.#isWaiting = false;
      this.#registry.removeWaiter(this);
    }
  }

  #onClientGone(): void {
    if (this.#isOver) return;
    this.#isOver = true;
    this.#stopWaiting();
    const socket = this.#pendingSocket;
    const upstream = this.#pendingUpstream;
    if (socket === undefined || upstream === undefined) return;
    this.#pendingSocket = undefined;
    this.#pendingUpstream = undefined;
    socket.removeAllListeners();
    socket.on('error', () => {});
    socket.destroy();
    upstream.outstanding--;
  }
}
