import type { Socket } from 'node:net';
import { formatDuration } from '../../config/human-units.js';
import { pipeSockets } from '../pipe-sockets.js';
import { MAX_HEAD_BYTES } from '../proxy-options.js';
import { BodyFramer } from './body-framer.js';
import { errorResponse } from './error-response.js';
import type { HttpProxyContext } from './http-context.js';
import { type ActiveExchange, type ExchangeClient, ProxyExchange } from './proxy-exchange.js';
import { parseRequestHead } from './request-head.js';

const HEAD_END = Buffer.from('\r\n\r\n');
/** Bytes of pipelined requests held while one is in flight, before reading pauses. */
const MAX_PIPELINED_BYTES = 64 * 1024;

/**
 * One client connection of the HTTP proxy: reads requests one after the other (pipelined ones
 * wait their turn), hands each to a ProxyExchange, streams its body to it, and becomes a tunnel
 * after a WebSocket upgrade.
 */
export class ClientConnection implements ExchangeClient {
  readonly socket: Socket;
  readonly #context: HttpProxyContext;
  readonly #onGone: (connection: ClientConnection) => void;
  readonly #address: string;
  readonly #localHost: string;
  #pending: Buffer | undefined;
  #exchange: ActiveExchange | undefined;
  readonly #bodyFramer = new BodyFramer();
  #isBodyActive = false;
  #isProcessing = false;
  #isPaused = false;
  #isClosing = false;
  /** The client half-closed: answer what it sent, then close. */
  #hasClientEnded = false;
  /** Armed while a request head has started but not ended (a slow or stalled client). */
  #headTimer: NodeJS.Timeout | undefined;

  constructor(
    socket: Socket,
    context: HttpProxyContext,
    onGone: (connection: ClientConnection) => void,
  ) {
    this.socket = socket;
    this.#context = context;
    this.#onGone = onGone;
    this.#address = socket.remoteAddress ?? '';
    this.#localHost = `${socket.localAddress ?? '127.0.0.1'}:${socket.localPort ?? 0}`;
    socket.setTimeout(context.clientTimeouts.idleMs);
    socket.on('data', this.#onData);
    socket.on('drain', this.#onDrain);
    socket.on('end', this.#onEnd);
    socket.on('timeout', this.#onTimeout);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** Whether no request is in flight and nothing is buffered: safe to close on shutdown. */
  get isIdle(): boolean {
    return this.#exchange === undefined && this.#pending === undefined;
  }

  get isKeepAliveAllowed(): boolean {
    return !this.#context.isDraining && !this.#isClosing;
  }

  write(data: Buffer | string): boolean {
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  pauseReading(): void {
    if (this.#isPaused) return;
    this.#isPaused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.#isPaused) return;
    this.#isPaused = false;
    this.socket.resume();
  }

  destroy(): void {
    this.#isClosing = true;
    this.socket.destroy();
  }

  /** Closes the connection once what was written has been sent. */
  endGracefully(): void {
    if (this.#isClosing) return;
    this.#isClosing = true;
    this.#pending = undefined;
    this.socket.end();
  }

  onExchangeDone(isKeepAlive: boolean): void {
    this.#exchange = undefined;
    if (!isKeepAlive || this.#isBodyActive || !this.isKeepAliveAllowed) {
      this.endGracefully();
      return;
    }
    this.resumeReading();
    this.#process();
  }

  startTunnel(head: string, upstreamBytes: Buffer, upstream: Socket, onClose: () => void): void {
    const socket = this.socket;
    this.#exchange = undefined;
    socket.setTimeout(0);
    socket.off('data', this.#onData);
    socket.off('drain', this.#onDrain);
    socket.off('end', this.#onEnd);
    socket.off('timeout', this.#onTimeout);
    const out = Buffer.allocUnsafe(head.length + upstreamBytes.length);
    out.write(head, 0, 'latin1');
    upstreamBytes.copy(out, head.length);
    socket.write(out);
    if (this.#pending !== undefined) upstream.write(this.#pending);
    this.#pending = undefined;
    pipeSockets(socket, upstream, onClose);
    this.resumeReading();
  }

  #onData = (chunk: Buffer): void => {
    this.#pending = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#process();
  };

  #onDrain = (): void => {
    this.#exchange?.onClientDrain();
  };

  #onEnd = (): void => {
    this.#hasClientEnded = true;
    if (this.#isBodyActive) {
      // The body can never be completed: the exchange cannot finish either.
      this.#exchange?.abort();
      this.#exchange = undefined;
      this.destroy();
      return;
    }
    this.#process();
  };

  #onTimeout = (): void => {
    if (this.#exchange !== undefined) return;
    this.socket.destroy();
  };

  #onError = (): void => {
    // 'close' follows and cleans up.
  };

  #onHeadTimeout = (): void => {
    this.#headTimer = undefined;
    if (this.#exchange !== undefined || this.#isClosing) return;
    this.#refuse(
      408,
      `Request head not received whole within ${formatDuration(this.#context.clientTimeouts.headMs)}`,
    );
  };

  #onClose = (): void => {
    clearTimeout(this.#headTimer);
    this.#headTimer = undefined;
    this.#isClosing = true;
    this.#pending = undefined;
    const exchange = this.#exchange;
    this.#exchange = undefined;
    exchange?.abort();
    this.#onGone(this);
  };

  #process(): void {
    if (this.#isProcessing) return;
    this.#isProcessing = true;
    try {
      while (this.#pending !== undefined && !this.#isClosing) {
        if (this.#isBodyActive) {
          this.#feedBody(this.#pending);
        } else if (this.#exchange !== undefined) {
          if (this.#pending.length > MAX_PIPELINED_BYTES) this.pauseReading();
          return;
        } else if (!this.#readHead(this.#pending)) {
          break;
        }
      }
      if (this.#hasClientEnded && this.#exchange === undefined && !this.#isClosing) {
        this.endGracefully();
      }
    } finally {
      this.#isProcessing = false;
    }
  }

  #feedBody(pending: Buffer): void {
    const framer = this.#bodyFramer;
    const taken = framer.consume(pending, 0, pending.length);
    if (taken < 0) {
      if (this.#exchange === undefined) {
        this.#refuse(400, 'Malformed chunked request body');
      } else {
        this.#exchange.abort();
        this.destroy();
      }
      return;
    }
    this.#pending = taken === pending.length ? undefined : pending.subarray(taken);
    if (taken > 0)
      this.#exchange?.onBodyData(taken === pending.length ? pending : pending.subarray(0, taken));
    if (framer.isDone) {
      this.#isBodyActive = false;
      this.#exchange?.onBodyEnd();
    }
  }

  /** Reads the next request head and starts its exchange; false when the head is not complete yet. */
  #readHead(pending: Buffer): boolean {
    let start = 0;
    while (start < pending.length && (pending[start] === 13 || pending[start] === 10)) start++;
    const end = pending.indexOf(HEAD_END, start);
    if (end === -1) {
      if (pending.length - start > MAX_HEAD_BYTES) this.#refuse(431, 'Request head too large');
      else if (start === pending.length) this.#pending = undefined;
      else {
        this.#pending = pending.subarray(start);
        this.#headTimer ??= setTimeout(this.#onHeadTimeout, this.#context.clientTimeouts.headMs);
      }
      return false;
    }
    if (this.#headTimer !== undefined) {
      clearTimeout(this.#headTimer);
      this.#headTimer = undefined;
    }
    if (end - start > MAX_HEAD_BYTES) {
      this.#refuse(431, 'Request head too large');
      return false;
    }
    const headText = pending.toString('latin1', start, end);
    const head = parseRequestHead(headText, this.#address, this.#localHost);
    this.#pending = end + 4 < pending.length ? pending.subarray(end + 4) : undefined;
    if (head.errorStatus !== 0) {
      this.#refuse(head.errorStatus, head.message);
      return false;
    }
    const framer = this.#bodyFramer;
    framer.reset(head.bodyKind, head.contentLength);
    this.#isBodyActive = !framer.isDone;
    const tasks = this.#context.tasks;
    const exchange =
      tasks === undefined
        ? new ProxyExchange(this, this.#context, head, framer.isDone)
        : tasks.route(this, this.#context, head, headText, framer.isDone);
    this.#exchange = exchange;
    exchange.start();
    return true;
  }

  #refuse(status: number, message: string): void {
    this.socket.write(
      errorResponse(status, message, { isKeepAlive: false, isHttp10: false, isHeadMethod: false }),
    );
    this.endGracefully();
  }
}
