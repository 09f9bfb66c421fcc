/** How the proxy balances: per request (http) or per connection (tcp). */
export type ProxyMode = 'http' | 'tcp';

/** Which ready instance gets the next request or connection. */
export type BalanceStrategy = 'round-robin' | 'least-outstanding';

/** What the proxy needs to serve one pool: everything a `configure` message sets. */
export interface ProxySettings {
  pool: string;
  host: string;
  port: number;
  mode: ProxyMode;
  balance: BalanceStrategy;
  waitForReadyMs: number;
  maxReplayBodyBytes: number;
  retryNonIdempotent: boolean;
  /** How long an instance may stay silent after a request was sent whole before it counts as failed. */
  responseHeaderTimeoutMs: number;
  /** How long an instance may stay silent in the middle of a response before the response is cut. */
  responseIdleTimeoutMs: number;
}

/** Defaults for every optional proxy setting, in one place. */
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
  /** After a failure an instance is skipped for this long, doubling on each further failure up to the cap. */
  suspendInitialMs: 250,
  /** The cap on how long a failing instance is skipped before the proxy tries it again by itself. */
  suspendMaxMs: 5_000,
} as const;

/** How long a failed instance is skipped; set by whoever creates the proxy (tests), not by `configure`. */
export interface ProxySuspension {
  suspendInitialMs: number;
  suspendMaxMs: number;
}

/** One instance of the pool as the daemon sees it. */
export interface UpstreamMember {
  instance: number;
  host: string;
  port: number;
  isReady: boolean;
}

/** Why an upstream could not serve: an errno code (ECONNREFUSED, ECONNRESET, …) or CLOSED. */
export type UpstreamFailureReason = string;

/** The failure reason of an instance that sent no response head within responseHeaderTimeoutMs. */
export const RESPONSE_TIMEOUT_REASON = 'RESPONSE_TIMEOUT';
/** The failure reason of an instance that went silent within a response for responseIdleTimeoutMs. */
export const RESPONSE_IDLE_TIMEOUT_REASON = 'RESPONSE_IDLE_TIMEOUT';

/** Whether a failure means the instance accepted the work but stopped answering: it may be hung, not dead. */
export function isSuspectReason(reason: UpstreamFailureReason): boolean {
  return reason === RESPONSE_TIMEOUT_REASON || reason === RESPONSE_IDLE_TIMEOUT_REASON;
}

/** A request (http) is delivered to upstreams at most this many times, so a request that kills its instance cannot kill them all. */
export const MAX_DELIVERIES_PER_REQUEST = 3;

/** How long a new upstream connection may take before it counts as failed. */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 3_000;

/** Idle pooled upstream connections are closed after this; shorter than Node's default 5 s server keep-alive so the upstream never closes first. */
export const UPSTREAM_IDLE_TIMEOUT_MS = 4_000;

/** At most this many idle connections are kept per upstream. */
export const MAX_IDLE_SOCKETS_PER_UPSTREAM = 256;

/** A client connection with no request in flight is closed after this much silence. */
export const CLIENT_IDLE_TIMEOUT_MS = 65_000;

/** Largest request or response head accepted (Node's default too). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** On SIGTERM, in-flight requests get this long to finish before their connections are closed. */
export const SHUTDOWN_GRACE_MS = 3_000;
