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
} as const;

/** Bounds of the numeric settings, shared by the schema and the CLI's option checks. */
export const PROXY_LIMITS = {
  waitForReadyMsMax: 3_600_000,
  maxReplayBodyBytesMax: 1024 ** 3,
} as const;
