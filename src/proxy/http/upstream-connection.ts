import { connect, type Socket } from 'node:net';
import {
  MAX_IDLE_SOCKETS_PER_UPSTREAM,
  UPSTREAM_CONNECT_TIMEOUT_MS,
  UPSTREAM_IDLE_TIMEOUT_MS,
} from '../proxy-options.js';
import { SHARED_READ_BUFFER } from '../shared-read-buffer.js';
import type { Upstream } from '../upstream.js';

/** What an upstream connection reports to the exchange that holds it. */
export interface UpstreamConnectionOwner {
  onUpstreamConnect(): void;
  /** `chunk` is only valid during the call: it is the shared read buffer, overwritten by the next read. */
  onUpstreamData(chunk: Buffer): void;
  /** The upstream closed its side (FIN). */
  onUpstreamEnd(): void;
  /** The connection failed (errno code such as ECONNREFUSED, ECONNRESET, ETIMEDOUT) or closed without a FIN. */
  onUpstreamError(code: string): void;
  onUpstreamDrain(): void;
  /** The connected upstream was silent for the time given to `expectWithin`. */
  onUpstreamTimeout(): void;
}

/**
 * One keep-alive connection to an upstream, held by at most one exchange at a time. Its listeners
 * are attached once and forward to the current owner, so a reused connection costs no
 * listener bookkeeping per request.
 */
export class UpstreamConnection {
  readonly socket: Socket;
  readonly upstream: Upstream;
  owner: UpstreamConnectionOwner | undefined;
  isConnected = false;
  /** Whether it carried a request before (so a failure on it may be a keep-alive race). */
  isReused = false;
  idleSinceMs = 0;
  #isDestroyed = false;
  #isDetached = false;

  constructor(upstream: Upstream, owner: UpstreamConnectionOwner) {
    this.upstream = upstream;
    this.owner = owner;
    this.socket = connect({
      host: upstream.host,
      port: upstream.port,
      noDelay: true,
      onread: { buffer: SHARED_READ_BUFFER, callback: this.#onRead },
    });
    this.socket.setTimeout(UPSTREAM_CONNECT_TIMEOUT_MS);
    this.socket.on('connect', this.#onConnect);
    this.socket.on('end', this.#onEnd);
    this.socket.on('error', this.#onError);
    this.socket.on('close', this.#onClose);
    this.socket.on('drain', this.#onDrain);
    this.socket.on('timeout', this.#onTimeout);
  }

  /** An idle connection to `upstream` still fresh enough to reuse, or a new one; either way held by `owner`. */
  static acquire(
    upstream: Upstream,
    owner: UpstreamConnectionOwner,
    nowMs: number,
  ): UpstreamConnection {
    const idle = upstream.idle;
    while (idle.length > 0) {
      const connection = idle.pop() as UpstreamConnection;
      if (nowMs - connection.idleSinceMs < UPSTREAM_IDLE_TIMEOUT_MS) {
        connection.owner = owner;
        connection.isReused = true;
        return connection;
      }
      connection.destroy();
    }
    return new UpstreamConnection(upstream, owner);
  }

  /** Writes to the upstream; false when its buffer is full (wait for onUpstreamDrain). */
  write(data: Buffer | string): boolean {
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  /** Reports onUpstreamTimeout when the upstream is silent (no byte either way) for `timeoutMs`; 0 disarms. */
  expectWithin(timeoutMs: number): void {
    this.socket.setTimeout(timeoutMs);
  }

  /** Returns the connection to its upstream's idle list after a complete exchange, or closes it if the list is full or the upstream left. */
  release(nowMs: number): void {
    this.owner = undefined;
    const upstream = this.upstream;
    if (
      this.#isDestroyed ||
      upstream.isRemoved ||
      upstream.isDraining ||
      upstream.idle.length >= MAX_IDLE_SOCKETS_PER_UPSTREAM
    ) {
      this.destroy();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.socket.setTimeout(0);
    this.idleSinceMs = nowMs;
    upstream.idle.push(this);
  }

  /** Closes it for good, without telling the owner. */
  destroy(): void {
    this.owner = undefined;
    if (this.#isDestroyed) return;
    this.#isDestroyed = true;
    this.#removeFromIdle();
    this.socket.destroy();
  }

  /** Hands the raw socket over (for a WebSocket tunnel): no listener of this class stays on it. */
  detach(): Socket {
    this.owner = undefined;
    this.#isDestroyed = true;
    this.#isDetached = true;
    this.socket.setTimeout(0);
    this.socket.off('connect', this.#onConnect);
    this.socket.off('end', this.#onEnd);
    this.socket.off('error', this.#onError);
    this.socket.off('close', this.#onClose);
    this.socket.off('drain', this.#onDrain);
    this.socket.off('timeout', this.#onTimeout);
    return this.socket;
  }

  #removeFromIdle(): void {
    const idle = this.upstream.idle;
    const index = idle.lastIndexOf(this);
    if (index !== -1) idle.splice(index, 1);
  }

  #onConnect = (): void => {
    this.isConnected = true;
    this.socket.setTimeout(0);
    this.owner?.onUpstreamConnect();
  };

  #onRead = (bytesRead: number, buffer: Uint8Array): boolean => {
    if (this.#isDetached) {
      // A tunnel reads 'data' events like any socket; it gets its own copy of the shared buffer.
      this.socket.emit('data', Buffer.from(buffer.subarray(0, bytesRead)));
      return true;
    }
    if (this.owner === undefined) {
      this.destroy();
      return false;
    }
    this.owner.onUpstreamData((buffer as Buffer).subarray(0, bytesRead));
    return true;
  };

  #onEnd = (): void => {
    const owner = this.owner;
    this.destroy();
    owner?.onUpstreamEnd();
  };

  #onError = (error: NodeJS.ErrnoException): void => {
    const owner = this.owner;
    this.destroy();
    owner?.onUpstreamError(error.code ?? 'EIO');
  };

  #onClose = (): void => {
    const owner = this.owner;
    this.destroy();
    owner?.onUpstreamError('CLOSED');
  };

  #onDrain = (): void => {
    this.owner?.onUpstreamDrain();
  };

  #onTimeout = (): void => {
    if (this.isConnected) {
      this.owner?.onUpstreamTimeout();
      return;
    }
    const owner = this.owner;
    this.destroy();
    owner?.onUpstreamError('ETIMEDOUT');
  };
}
