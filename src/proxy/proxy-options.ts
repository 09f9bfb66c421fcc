import type { ProxyTuning } from '../config/proxy-settings.js';
import type { TaskSettings } from '../config/task-settings.js';

export type { BalanceStrategy, ProxyMode } from '../config/proxy-defaults.js';

/** What the proxy needs to serve one pool: everything a `configure` message sets. */
export type ProxySettings = {
  pool: string;
  host: string;
  port: number;
  /** A task program's settings; null for an ordinary pool. */
  tasks: TaskSettings | null;
} & ProxyTuning;

/** How long a failed instance is skipped unless the proxy's creator says otherwise. */
export const PROXY_SUSPENSION_DEFAULTS: ProxySuspension = {
  /** After a failure an instance is skipped for this long, doubling on each further failure up to the cap. */
  suspendInitialMs: 250,
  /** The cap on how long a failing instance is skipped before the proxy tries it again by itself. */
  suspendMaxMs: 5_000,
};

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
  /** Out of rotation for a reload until its requests in flight end (false when left out). */
  isDraining?: boolean;
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

/** A request head that has started must arrive whole within this (a client trickling bytes is cut with 408). */
export const CLIENT_HEAD_TIMEOUT_MS = 30_000;

/** How long the proxy waits on a client; tests shorten them rather than race the real clock. */
export interface ClientTimeouts {
  /** Silence with no request in flight (CLIENT_IDLE_TIMEOUT_MS). */
  idleMs: number;
  /** From a head's first byte to its last (CLIENT_HEAD_TIMEOUT_MS). */
  headMs: number;
}

/** Largest request or response head accepted (Node's default too). */
export const MAX_HEAD_BYTES = 16 * 1024;

/** On SIGTERM, in-flight requests get this long to finish before their connections are closed. */
export const SHUTDOWN_GRACE_MS = 3_000;
