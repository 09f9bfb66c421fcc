import type { Socket } from 'node:net';
import { formatDuration } from '../../config/human-units.js';
import { isDescriptorLimit, reportDescriptorLimit } from '../open-file-limit.js';
import {
  MAX_DELIVERIES_PER_REQUEST,
  MAX_HEAD_BYTES,
  RESPONSE_IDLE_TIMEOUT_REASON,
  RESPONSE_TIMEOUT_REASON,
} from '../proxy-options.js';
import type { Upstream } from '../upstream.js';
import type { UpstreamWaiter } from '../upstream-registry.js';
import { BodyFramer } from './body-framer.js';
import { errorResponse } from './error-response.js';
import type { HttpProxyContext } from './http-context.js';
import type { RequestHead } from './request-head.js';
import { parseResponseHead, type ResponseHead } from './response-head.js';
import { UpstreamConnection, type UpstreamConnectionOwner } from './upstream-connection.js';

/** What an exchange needs from the client connection it serves. */
export interface ExchangeClient {
  readonly isKeepAliveAllowed: boolean;
  write(data: Buffer | string): boolean;
  pauseReading(): void;
  resumeReading(): void;
  /** The exchange is over; the connection may read the next request (or close). */
  onExchangeDone(isKeepAlive: boolean): void;
  /** The response had started when the upstream failed: all the client can be told is a closed connection. */
  destroy(): void;
  /** A 101 came back: write `head` and `upstreamBytes` to the client, then pipe both ways. */
  startTunnel(head: string, upstreamBytes: Buffer, upstream: Socket, onClose: () => void): void;
}

/** What a client connection drives while one of its requests is in flight: a ProxyExchange, or a task route deciding where the request goes. */
export interface ActiveExchange {
  start(): void;
  onBodyData(chunk: Buffer): void;
  onBodyEnd(): void;
  abort(): void;
  onClientDrain(): void;
}

/** An exchange bound to one instance (a task's) instead of the pool's balancing: never retried elsewhere. */
export interface PinnedRoute {
  readonly upstream: Upstream;
  /** Header lines added to every response head relayed to the client, each ending in CRLF. */
  readonly responseHeaders: string;
  /** Names the target in error messages, e.g. `task "t1" of pool "web"`. */
  readonly description: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Request body bytes held while no upstream takes them, before the client is paused. */
const UNSENT_BODY_HIGH_WATER_BYTES = 64 * 1024;
/** Head and body go out in one write (one syscall) up to this size. */
const COALESCE_LIMIT_BYTES = 16 * 1024;

// Phases of one exchange.
const IDLE = 0;
const WAITING = 1;
const CONNECTING = 2;
const SENT = 3;
const RESPONDING = 4;
const DONE = 5;

/**
 * One proxied request: picks an instance, sends the request (keeping its body for a replay while
 * it is small enough), relays the response, and on a failure before any response byte retries it
 * on another instance when that is safe. One object per request; no closure is made on the
 * common path.
 */
export class ProxyExchange implements ActiveExchange, UpstreamConnectionOwner, UpstreamWaiter {
  readonly #client: ExchangeClient;
  readonly #context: HttpProxyContext;
  readonly #request: RequestHead;
  #phase = IDLE;
  #bodyChunks: Buffer[] = [];
  #sentChunks = 0;
  #bodyBytes = 0;
  #unsentBytes = 0;
  #isBodyComplete: boolean;
  #isReplayable = true;
  #hasDiscardedSentBody = false;
  #upstream: Upstream | undefined;
  #connection: UpstreamConnection | undefined;
  #attempts = 0;
  #deliveries = 0;
  /**
   * This request's share of the failures it met: an instance that dies fails every request in
   * flight on it, and at most one of them killed it, so each is charged 1/K of a delivery (K in
   * flight). A request that alone kills every instance it reaches is charged 1 each time and stops
   * at MAX_DELIVERIES_PER_REQUEST; one that only shares crashes goes on until it is served or its
   * wait runs out.
   */
  #failureShare = 0;
  #tried: Upstream[] | undefined;
  #attemptStartMs = 0;
  #hasResponseBytes = false;
  #headBuffer: Buffer | undefined;
  #framer: BodyFramer | undefined;
  #isClientKeepAlive = false;
  #isUpstreamReusable = false;
  #waitDeadlineMs = -1;
  #waitTimer: NodeJS.Timeout | undefined;
  readonly #route: PinnedRoute | undefined;

  constructor(
    client: ExchangeClient,
    context: HttpProxyContext,
    request: RequestHead,
    isBodyComplete: boolean,
    route?: PinnedRoute,
  ) {
    this.#client = client;
    this.#context = context;
    this.#request = request;
    this.#isBodyComplete = isBodyComplete;
    this.#route = route;
  }

  /** Starts the exchange: answers Expect: 100-continue itself (the body must be buffered here anyway), then dispatches. */
  start(): void {
    if (this.#request.expectsContinue) this.#client.write(CONTINUE);
    this.#dispatch();
  }

  /** Request body bytes, framing included, as the client sent them. */
  onBodyData(chunk: Buffer): void {
    if (this.#phase === DONE) return;
    this.#bodyBytes += chunk.length;
    if (this.#isReplayable && this.#bodyBytes > this.#context.settings.maxReplayBodyBytes) {
      this.#isReplayable = false;
      if (this.#sentChunks > 0) {
        this.#bodyChunks.splice(0, this.#sentChunks);
        this.#sentChunks = 0;
        this.#hasDiscardedSentBody = true;
      }
    }
    this.#bodyChunks.push(chunk);
    if (this.#phase === SENT || this.#phase === RESPONDING) {
      this.#flushBody();
    } else {
      this.#unsentBytes += chunk.length;
      if (this.#unsentBytes > UNSENT_BODY_HIGH_WATER_BYTES) this.#client.pauseReading();
    }
  }

  /** The request body has been read to its end. */
  onBodyEnd(): void {
    this.#isBodyComplete = true;
    if (this.#phase === SENT) this.#expectResponse();
  }

  /** The client went away: drop the attempt without blaming the upstream. */
  abort(): void {
    const phase = this.#phase;
    if (phase === DONE) return;
    this.#phase = DONE;
    this.#stopWaiting();
    if (this.#upstream !== undefined && phase >= CONNECTING) this.#upstream.outstanding--;
    this.#connection?.destroy();
    this.#connection = undefined;
  }

  /** The client's buffer drained: let the upstream send more. */
  onClientDrain(): void {
    const connection = this.#connection;
    if (connection === undefined || !connection.socket.isPaused()) return;
    connection.socket.resume();
    if (this.#phase === RESPONDING) {
      connection.expectWithin(this.#context.settings.responseIdleTimeoutMs);
    }
  }

  onUpstreamMaybeAvailable(): void {
    if (this.#phase === WAITING) this.#dispatch();
  }

  onUpstreamConnect(): void {
    if (this.#phase === CONNECTING) this.#send();
  }

  onUpstreamDrain(): void {
    this.#client.resumeReading();
  }

  onUpstreamData(chunk: Buffer): void {
    this.#hasResponseBytes = true;
    if (this.#phase === RESPONDING) {
      this.#relayBody(chunk, 0);
      return;
    }
    if (this.#phase !== SENT) return;
    const buffer =
      this.#headBuffer === undefined ? chunk : Buffer.concat([this.#headBuffer, chunk]);
    this.#headBuffer = undefined;
    this.#readResponseHead(buffer);
  }

  onUpstreamEnd(): void {
    if (this.#phase === RESPONDING && this.#framer?.kind === 'close') {
      this.#isUpstreamReusable = false;
      this.#complete();
      return;
    }
    this.#onAttemptFailed('CLOSED');
  }

  onUpstreamError(code: string): void {
    this.#onAttemptFailed(code);
  }

  onUpstreamTimeout(): void {
    if (this.#phase === SENT) this.#onAttemptFailed(RESPONSE_TIMEOUT_REASON);
    else if (this.#phase === RESPONDING) this.#onAttemptFailed(RESPONSE_IDLE_TIMEOUT_REASON);
  }

  /** The request is sent whole: from now on, silence from the instance counts against it. */
  #expectResponse(): void {
    this.#connection?.expectWithin(this.#context.settings.responseHeaderTimeoutMs);
  }

  #dispatch(): void {
    const nowMs = performance.now();
    const route = this.#route;
    if (route?.upstream.isRemoved) {
      this.#respondError(502, `Bad gateway: ${route.description} has ended`);
      return;
    }
    const upstream = route?.upstream ?? this.#context.registry.pick(nowMs, this.#tried);
    if (upstream === undefined) {
      this.#wait(nowMs);
      return;
    }
    this.#stopWaiting();
    this.#upstream = upstream;
    upstream.outstanding++;
    upstream.requests++;
    if (this.#attempts > 0) upstream.retries++;
    this.#attempts++;
    this.#attemptStartMs = nowMs;
    this.#hasResponseBytes = false;
    this.#headBuffer = undefined;
    const connection = UpstreamConnection.acquire(upstream, this, nowMs);
    this.#connection = connection;
    if (connection.isConnected) this.#send();
    else this.#phase = CONNECTING;
  }

  #wait(nowMs: number): void {
    if (this.#waitDeadlineMs === -1) {
      this.#waitDeadlineMs = nowMs + this.#context.settings.waitForReadyMs;
    }
    const remainingMs = this.#waitDeadlineMs - nowMs;
    if (remainingMs <= 0) {
      this.#stopWaiting();
      this.#respondUnavailable();
      return;
    }
    this.#phase = WAITING;
    this.#context.registry.addWaiter(this, nowMs);
    this.#waitTimer ??= setTimeout(ProxyExchange.#onWaitTimeout, Math.ceil(remainingMs), this);
  }

  static #onWaitTimeout(exchange: ProxyExchange): void {
    exchange.#waitTimer = undefined;
    if (exchange.#phase !== WAITING) return;
    exchange.#context.registry.removeWaiter(exchange);
    exchange.#respondUnavailable();
  }

  #stopWaiting(): void {
    if (this.#waitTimer !== undefined) {
      clearTimeout(this.#waitTimer);
      this.#waitTimer = undefined;
    }
    if (this.#phase === WAITING) this.#context.registry.removeWaiter(this);
  }

  #send(): void {
    this.#phase = SENT;
    this.#deliveries++;
    const connection = this.#connection as UpstreamConnection;
    if (this.#bodyChunks.length === 0) {
      connection.write(this.#request.forwardHead);
    } else {
      connection.socket.cork();
      connection.write(this.#request.forwardHead);
      this.#flushBody();
      connection.socket.uncork();
    }
    if (this.#isBodyComplete) this.#expectResponse();
  }

  #flushBody(): void {
    const connection = this.#connection as UpstreamConnection;
    const chunks = this.#bodyChunks;
    let isFlowing = true;
    for (let i = this.#sentChunks; i < chunks.length; i++) {
      isFlowing = connection.write(chunks[i] as Buffer) && isFlowing;
    }
    if (this.#isReplayable) {
      this.#sentChunks = chunks.length;
    } else {
      if (chunks.length > 0) this.#hasDiscardedSentBody = true;
      this.#bodyChunks = [];
      this.#sentChunks = 0;
    }
    this.#unsentBytes = 0;
    if (isFlowing) this.#client.resumeReading();
    else this.#client.pauseReading();
  }

  #readResponseHead(initial: Buffer): void {
    let buffer = initial;
    for (;;) {
      const end = buffer.indexOf(HEAD_END);
      if (end === -1) {
        if (buffer.length > MAX_HEAD_BYTES) this.#onAttemptFailed('EPROTO');
        else this.#headBuffer = Buffer.from(buffer);
        return;
      }
      const response = parseResponseHead(
        buffer.toString('latin1', 0, end),
        this.#request.isHeadMethod,
      );
      if (response === undefined) {
        this.#onAttemptFailed('EPROTO');
        return;
      }
      const bodyStart = end + 4;
      if (response.status < 200 && response.status !== 101) {
        // Interim responses (100, 102, 103) are dropped: the proxy answered Expect itself.
        if (bodyStart >= buffer.length) return;
        buffer = buffer.subarray(bodyStart);
        continue;
      }
      if (response.status === 101) {
        if (this.#request.isUpgrade) this.#startTunnel(response, buffer.subarray(bodyStart));
        else this.#onAttemptFailed('EPROTO');
        return;
      }
      this.#forwardResponse(response, buffer, bodyStart);
      return;
    }
  }

  #forwardResponse(response: ResponseHead, buffer: Buffer, bodyStart: number): void {
    const request = this.#request;
    const isKeepAlive =
      request.isKeepAlive &&
      this.#client.isKeepAliveAllowed &&
      response.bodyKind !== 'close' &&
      !(request.isHttp10 && response.bodyKind === 'chunked');
    this.#isClientKeepAlive = isKeepAlive;
    this.#isUpstreamReusable = response.isUpstreamKeepAlive;
    (this.#upstream as Upstream).countResponse(response.status);
    let head = response.clientHead;
    if (this.#route !== undefined) head += this.#route.responseHeaders;
    if (!isKeepAlive) head += 'connection: close\r\n\r\n';
    else if (request.isHttp10) head += 'connection: keep-alive\r\n\r\n';
    else head += '\r\n';
    this.#phase = RESPONDING;
    this.#framer ??= new BodyFramer();
    const framer = this.#framer;
    framer.reset(response.bodyKind, response.contentLength);
    let bodyEnd = bodyStart;
    if (!framer.isDone && bodyStart < buffer.length) {
      const taken = framer.consume(buffer, bodyStart, buffer.length);
      if (taken < 0) {
        this.#onAttemptFailed('EPROTO');
        return;
      }
      bodyEnd = bodyStart + taken;
    }
    const bodyLength = bodyEnd - bodyStart;
    let isFlowing: boolean;
    if (bodyLength === 0) {
      isFlowing = this.#client.write(head);
    } else if (bodyLength <= COALESCE_LIMIT_BYTES) {
      const out = Buffer.allocUnsafe(head.length + bodyLength);
      out.write(head, 0, 'latin1');
      buffer.copy(out, head.length, bodyStart, bodyEnd);
      isFlowing = this.#client.write(out);
    } else {
      this.#client.write(head);
      isFlowing = this.#client.write(Buffer.from(buffer.subarray(bodyStart, bodyEnd)));
    }
    if (framer.isDone) {
      if (bodyEnd < buffer.length) this.#isUpstreamReusable = false;
      this.#complete();
      return;
    }
    this.#connection?.expectWithin(this.#context.settings.responseIdleTimeoutMs);
    if (!isFlowing) this.#pauseUpstream();
  }

  /** Stops reading the instance while the client is slow; the silence that follows is not the instance's. */
  #pauseUpstream(): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    connection.socket.pause();
    connection.expectWithin(0);
  }

  #relayBody(chunk: Buffer, start: number): void {
    const framer = this.#framer as BodyFramer;
    const taken = framer.consume(chunk, start, chunk.length);
    if (taken < 0) {
      this.#onAttemptFailed('EPROTO');
      return;
    }
    if (taken > 0) {
      const isFlowing = this.#client.write(Buffer.from(chunk.subarray(start, start + taken)));
      if (!isFlowing) this.#pauseUpstream();
    }
    if (framer.isDone) {
      if (start + taken < chunk.length) this.#isUpstreamReusable = false;
      this.#complete();
    }
  }

  #complete(): void {
    const nowMs = performance.now();
    const upstream = this.#upstream as Upstream;
    upstream.outstanding--;
    upstream.latency.record(nowMs - this.#attemptStartMs, nowMs);
    this.#context.registry.recordSuccess(upstream);
    this.#context.registry.recordHiddenFailures(this.#tried);
    this.#phase = DONE;
    const connection = this.#connection as UpstreamConnection;
    this.#connection = undefined;
    if (this.#isUpstreamReusable && this.#isBodyComplete && this.#unsentBytes === 0) {
      connection.release(nowMs);
    } else {
      connection.destroy();
    }
    this.#client.onExchangeDone(this.#isClientKeepAlive);
  }

  #startTunnel(response: ResponseHead, upstreamBytes: Buffer): void {
    const nowMs = performance.now();
    const upstream = this.#upstream as Upstream;
    upstream.latency.record(nowMs - this.#attemptStartMs, nowMs);
    upstream.countResponse(response.status);
    this.#context.registry.recordSuccess(upstream);
    this.#context.registry.recordHiddenFailures(this.#tried);
    this.#phase = DONE;
    const socket = (this.#connection as UpstreamConnection).detach();
    this.#connection = undefined;
    const head = `${response.clientHead}${this.#route?.responseHeaders ?? ''}connection: upgrade\r\nupgrade: ${response.upgrade}\r\n\r\n`;
    this.#client.startTunnel(head, upstreamBytes, socket, () => {
      upstream.outstanding--;
    });
  }

  #onAttemptFailed(code: string): void {
    const phase = this.#phase;
    if (phase === DONE || phase === IDLE || phase === WAITING) return;
    const upstream = this.#upstream as Upstream;
    if (isDescriptorLimit(code)) {
      this.#onDescriptorLimit(upstream, code);
      return;
    }
    const nowMs = performance.now();
    // The first failure of a burst (the instance is not suspended yet) counts the victims.
    if (upstream.suspendedUntilMs <= nowMs) {
      upstream.requestsInFailedBurst = Math.max(1, upstream.outstanding);
    }
    upstream.outstanding--;
    // A pooled connection that the instance had already closed (it died, or timed the connection
    // out) fails before the request could be read: that attempt does not count as a delivery.
    const isStaleConnection =
      this.#connection?.isReused === true &&
      phase === SENT &&
      !this.#hasResponseBytes &&
      code !== RESPONSE_TIMEOUT_REASON;
    if (!isStaleConnection && phase !== CONNECTING) {
      this.#failureShare += 1 / upstream.requestsInFailedBurst;
    }
    this.#connection?.destroy();
    this.#connection = undefined;
    this.#context.registry.recordFailure(upstream, code, nowMs);
    if (phase === RESPONDING) {
      this.#phase = DONE;
      this.#client.destroy();
      return;
    }
    this.#tried ??= [];
    this.#tried.push(upstream);
    const refusal = this.#retryRefusal(phase === CONNECTING);
    if (refusal === undefined) {
      this.#phase = IDLE;
      this.#sentChunks = 0;
      this.#unsentBytes = 0;
      for (const chunk of this.#bodyChunks) this.#unsentBytes += chunk.length;
      this.#dispatch();
      return;
    }
    const { pool, responseHeaderTimeoutMs } = this.#context.settings;
    if (code === RESPONSE_TIMEOUT_REASON) {
      this.#respondError(
        504,
        `Gateway timeout: instance ${upstream.instance} of pool "${pool}" sent no response within ${formatDuration(responseHeaderTimeoutMs)}; ${refusal}`,
      );
      return;
    }
    upstream.badGateway++;
    this.#respondError(
      502,
      `Bad gateway: instance ${upstream.instance} of pool "${pool}" failed before responding (${code}); ${refusal}`,
    );
  }

  /** The proxy is out of files, not the instance at fault: no retry, no failure counted, a 503 that says so. */
  #onDescriptorLimit(upstream: Upstream, code: string): void {
    reportDescriptorLimit(code, 'connect');
    upstream.outstanding--;
    this.#connection?.destroy();
    this.#connection = undefined;
    this.#respondError(
      503,
      `Service unavailable: the proxy of pool "${this.#context.settings.pool}" is out of open files (${code}); its log says which limit and how to raise it`,
    );
  }

  /** Why the request cannot be retried, or undefined when it can. */
  #retryRefusal(wasConnecting: boolean): string | undefined {
    if (this.#route !== undefined) return `it is bound to ${this.#route.description}`;
    if (this.#hasResponseBytes) return 'part of a response had arrived, so it was not retried';
    if (this.#hasDiscardedSentBody) {
      return 'its body was larger than the replay limit, so it was not retried';
    }
    if (wasConnecting) return undefined;
    if (!this.#request.isIdempotent && !this.#context.settings.retryNonIdempotent) {
      return `a ${this.#request.method} request is not retried once sent`;
    }
    // A small epsilon: three shares of 1/3 must add up to one whole delivery.
    if (this.#failureShare >= MAX_DELIVERIES_PER_REQUEST - 1e-9) {
      return `it failed on ${this.#deliveries} attempts`;
    }
    return undefined;
  }

  #respondUnavailable(): void {
    const settings = this.#context.settings;
    this.#context.registry.recordUnavailable();
    this.#respondError(
      503,
      `Service unavailable: no instance of pool "${settings.pool}" was ready within ${formatDuration(settings.waitForReadyMs)}`,
    );
  }

  #respondError(status: number, message: string): void {
    this.#phase = DONE;
    const request = this.#request;
    const isKeepAlive = request.isKeepAlive && this.#client.isKeepAliveAllowed;
    this.#client.write(
      errorResponse(status, message, {
        isKeepAlive,
        isHttp10: request.isHttp10,
        isHeadMethod: request.isHeadMethod,
      }),
    );
    this.#client.onExchangeDone(isKeepAlive);
  }
}
