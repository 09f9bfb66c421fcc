import type { InstanceProxyStats, StatusClassCounts } from './control-protocol.js';
import type { UpstreamConnection } from './http/upstream-connection.js';
import { LatencyHistogram } from './latency-histogram.js';

/** One instance of the pool as the proxy uses it: address, readiness, local suspension, counters, idle connections. */
export class Upstream {
  readonly instance: number;
  readonly host: string;
  readonly port: number;
  /** Readiness as the daemon last reported it. */
  isReady: boolean;
  /** After a failure the proxy skips the instance until then (performance.now() ms). */
  suspendedUntilMs = 0;
  consecutiveFailures = 0;
  /**
   * How many requests were in flight on the instance when the current burst of failures began
   * (an instance that dies fails all of them at once); see ProxyExchange's failure share.
   */
  requestsInFailedBurst = 1;
  /** Set when the instance left the membership; its idle connections are closed and none are made. */
  isRemoved = false;
  /** Out of rotation for a reload: takes no new request, keeps no idle connection, tells `onDrained` when nothing is in flight. */
  isDraining = false;
  /** Called when the instance is draining and its last request in flight ended. */
  onDrained: (() => void) | undefined;
  #outstanding = 0;
  requests = 0;
  retries = 0;
  failures = 0;
  failuresHidden = 0;
  badGateway = 0;
  readonly responses: StatusClassCounts = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  readonly latency: LatencyHistogram;
  /** Idle keep-alive connections (http mode), most recently used last. */
  readonly idle: UpstreamConnection[] = [];

  constructor(instance: number, host: string, port: number, isReady: boolean, nowMs: number) {
    this.instance = instance;
    this.host = host;
    this.port = port;
    this.isReady = isReady;
    this.latency = new LatencyHistogram(nowMs);
  }

  /** Requests (or connections) in flight on it now. */
  get outstanding(): number {
    return this.#outstanding;
  }

  set outstanding(count: number) {
    this.#outstanding = count;
    if (count === 0 && this.isDraining) this.onDrained?.();
  }

  /** Whether the proxy may send it traffic now. */
  isEligible(nowMs: number): boolean {
    return this.isReady && !this.isDraining && !this.isRemoved && this.suspendedUntilMs <= nowMs;
  }

  /** Closes every idle connection to it. */
  closeIdle(): void {
    for (const connection of this.idle.splice(0)) connection.destroy();
  }

  /** Counts one response relayed from it, by status class. */
  countResponse(status: number): void {
    const key =
      `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx` as keyof StatusClassCounts;
    this.responses[key]++;
  }

  /** Its counters as the daemon sees them. */
  stats(nowMs: number): InstanceProxyStats {
    return {
      instance: this.instance,
      requests: this.requests,
      retries: this.retries,
      failures: this.failures,
      outstanding: this.outstanding,
      isReady: this.isReady,
      isSuspended: this.suspendedUntilMs > nowMs,
      latencyMs: this.latency.percentiles(nowMs),
      responses: { ...this.responses },
      failuresHidden: this.failuresHidden,
      badGateway: this.badGateway,
      latencyTotals: this.latency.totals(),
    };
  }
}
