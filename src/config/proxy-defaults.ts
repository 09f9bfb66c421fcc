/**
 * The pool proxy's settings without zod, so that the CLI bundle (help, option choices) can read
 * them too; the schema that checks them is proxy-settings.ts.
 */

/** How the proxy balances: per request (http) or per connection (tcp). */
export const PROXY_MODES = ['http', 'tcp'] as const;
/** How the proxy balances: per request (http) or per connection (tcp). */
export type ProxyMode = (typeof PROXY_MODES)[number];

/** Which ready instance gets the next request or connection. */
export const BALANCE_STRATEGIES = ['round-robin', 'least-outstanding'] as const;
/** Which ready instance gets the next request or connection. */
export type BalanceStrategy = (typeof BALANCE_STRATEGIES)[number];

/** The one defaults object of the proxy's settings: read by the daemon, the control protocol and the CLI help. */
export const PROXY_DEFAULTS = {
  host: '127.0.0.1',
  mode: 'http' as ProxyMode,
  balance: 'round-robin' as BalanceStrategy,
  waitForReadyMs: 5_000,
  maxReplayBodyBytes: 1024 * 1024,
  retryNonIdempotent: false,
  /** nginx's proxy_read_timeout: long enough for slow endpoints, short enough that a frozen instance does not hold a client for ever. */
  responseHeaderTimeoutMs: 60_000,
  /** The same for silence within a response body (a stream that sends nothing for a minute is cut). */
  responseIdleTimeoutMs: 60_000,
  /**
   * Proxy processes sharing the listening socket. One, as nginx's own default: a pool's proxy is
   * rarely what limits it (profiled under wrk, one worker was idle half the time while the
   * instances were saturated; it holds up to half its open-file limit in connections), and each
   * further worker is a Node process of about 57 MiB of RSS, per pool. Raise it for more
   * connections than one process may hold, or for more than a core of proxying.
   */
  workers: 1,
} as const;

/** Bounds of the numeric settings, shared by the schema and the CLI's option checks. */
export const PROXY_LIMITS = {
  waitForReadyMsMax: 3_600_000,
  maxReplayBodyBytesMax: 1024 ** 3,
  responseTimeoutMsMax: 3_600_000,
  workersMax: 64,
} as const;
