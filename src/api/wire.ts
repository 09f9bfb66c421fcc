/**
 * The types that travel over the control API, shared by the daemon, the CLI and the dashboard.
 * Instants are ISO-8601 strings; durations are milliseconds.
 */
import type { ProgramSpec } from '../config/program-spec.js';
import type { BalanceStrategy, ProxyMode } from '../config/proxy-defaults.js';
import type { DaemonRecovery, DependencyWait, TendEvent } from '../core/events.js';
import type { SignalName } from '../process/signals.js';
import type { InstanceState } from '../supervisor/types.js';

export type { ProgramSpec, ProgramSpecInput } from '../config/program-spec.js';
export type { DaemonRecovery, DependencyWait, TendEvent, TendEventKind } from '../core/events.js';
export type { InstanceState } from '../supervisor/types.js';

/** API version prefix of every route. */
export const API_PREFIX = '/v1';

/** Largest request body the API accepts; the CLI checks a program definition against it before sending. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Separates the program names of a `:target` that names several programs (`a,b`); a name cannot hold one. */
export const TARGET_SEPARATOR = ',';

/** One row of `tend ls`: an instance with its live figures. */
export interface InstanceSummary {
  name: string;
  /** 0-based index within the program. */
  instance: number;
  pid: number | null;
  status: InstanceState;
  restarts: number;
  /** How long the current process has run, or null when none runs. */
  uptimeMs: number | null;
  /** CPU use of the main process in percent of one core since the previous sample, or null. */
  cpu: number | null;
  /** Resident memory of the main process, or null. */
  memoryBytes: number | null;
  /** The kernel reports the main process stopped (state T or t, as after SIGSTOP): it runs no code. */
  isFrozen: boolean;
  /** Why a running instance gets no traffic although `online` (its readiness probe fails), or null. */
  notReady: string | null;
}

/** One failed probe check, as `tend status` shows it. */
export interface ProbeFailureWire {
  probe: 'startup' | 'readiness' | 'liveness';
  /** `GET /healthz timed out after 1000 ms`, `exec ./check exited 2: …`. */
  reason: string;
  at: string;
}

/** One ended run, as `tend status` shows it. */
export interface ExitRecordWire {
  at: string;
  code: number | null;
  signal: SignalName | null;
  uptimeMs: number;
  isFailure: boolean;
  /** Why tend ended that run on its own (hung), why its code is unknown (it ended between two daemons), or null. */
  reason: string | null;
}

/** Everything about one instance. */
export interface InstanceDetail extends InstanceSummary {
  /** `PORT` given to this instance, when the program has a base port. */
  port: number | null;
  startedAt: string | null;
  stateSince: string;
  /** Why the instance is errored, waiting or stopped on its own. */
  reason: string | null;
  /** What the process last said about itself on its notify channel (STATUS=…), or null. */
  statusText: string | null;
  nextRestartAt: string | null;
  failureRestarts: number;
  runs: number;
  averageRunMs: number | null;
  /** How long the instance has been up (when running) or down (when not), or null if never started. */
  upForMs: number | null;
  downForMs: number | null;
  /** The latest failed probe check of the instance (kept across its processes), or null. */
  lastProbeFailure: ProbeFailureWire | null;
  /** The most recent exits, oldest first. */
  exits: ExitRecordWire[];
}

/** Whether the user wants a program running or stopped; the daemon restores this after a restart. */
export type DesiredState = 'running' | 'stopped';

/** Counters of one instance as the pool's proxy saw it. */
export interface ProxyInstanceCounters {
  instance: number;
  /** Requests (http) or connections (tcp) sent to it, retries included. */
  requests: number;
  /** Of those, retries of a request that failed on another instance first. */
  retries: number;
  /** Attempts that failed on it: connect errors, resets or closes before or during the response. */
  failures: number;
  outstanding: number;
  isReady: boolean;
  /** Skipped by the proxy after a failure, until it is ready again. */
  isSuspended: boolean;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  /** Responses relayed from it by status class (http mode). */
  responses: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Failures on it that a retry then hid from the client. */
  failuresHidden: number;
  /** 502 answers after a failure on it that could not be retried. */
  badGateway: number;
  /** Every upstream latency since the proxy started: per-bucket counts (bounds in LATENCY_BUCKET_BOUNDS_SECONDS, then +Inf), sum, count. */
  latencyTotals: { buckets: number[]; sumSeconds: number; count: number };
}

/** The reverse proxy in front of a pool. */
export interface ProxyDetail {
  host: string;
  port: number;
  mode: ProxyMode;
  balance: BalanceStrategy;
  pid: number | null;
  status: InstanceState;
  restarts: number;
  /** Why the proxy does not serve (such as its port being in use), or null. */
  problem: string | null;
  /** The control protocol of a proxy older than the daemon (it runs an older tend's code until `tend restart <name> --proxy` or a stop and start), or null. */
  outdatedProtocol: number | null;
  /** Requests answered 503 (tcp: connections closed) because no instance was ready in time. */
  unavailable: number;
  instances: ProxyInstanceCounters[];
}

/** Everything about one program: its definition, its instances and its proxy. */
export interface ProgramDetail {
  name: string;
  spec: ProgramSpec;
  desired: DesiredState;
  instances: InstanceDetail[];
  /** The pool's proxy, when the program has one (`--proxy-port`). */
  proxy: ProxyDetail | null;
  /**
   * Why the program, meant to run, has not started: it waits for its dependencies (`--after`);
   * its instances then show `waiting` with this reason. Null when it does not wait.
   */
  waiting: DependencyWait | null;
  /** A task program's live tasks (`--tasks`); absent for other programs. */
  tasks?: TaskReply[];
}

/**
 * What a start, stop or restart did to one program: the instances it changed, and those that were
 * already as asked (running for a start, stopped for a stop), by index.
 */
export interface ActionEffect {
  changed: number[];
  unchanged: number[];
}

/** One program in the reply of a start, stop or restart: its detail after the action, and what the action changed. */
export interface ProgramActionResult extends ProgramDetail {
  effect: ActionEffect;
}

/** `POST /v1/programs/:name/reload`: a new environment (merged on top), command or args, and the pacing. */
export interface ReloadRequestBody {
  env?: Record<string, string>;
  command?: string;
  args?: string[];
  maxSurge?: number;
  maxUnavailable?: number;
  drainTimeoutMs?: number;
}

/** The answer to a reload that ended well: the program after it, and how it went. */
export interface ReloadReply {
  program: ProgramDetail;
  /** The definition's fields the reload applied (empty: same definition, new processes). */
  changed: string[];
  replaced: number;
  durationMs: number;
  maxSurge: number;
  maxUnavailable: number;
  drainTimeoutMs: number;
}

/** `PUT /v1/programs/:name`: the program after the change, the fields that changed, and those that reach its processes only when they are spawned again. */
export interface UpdateReply {
  program: ProgramDetail;
  changed: string[];
  needsRespawn: string[];
}

/** `GET /v1/health`. */
export interface HealthReply {
  ok: true;
  pid: number;
  version: string;
  home: string;
  startedAt: string;
  /** Problems found at start-up, such as a corrupt state file moved aside. */
  problems: string[];
  /** Faults now, each said once until it is over (a full disk keeps the logs or the state file from being written). */
  faults?: string[];
  /** How this daemon took over from the one before it (a crash or a reload), or null after a plain start. */
  recovery?: DaemonRecovery | null;
}

/** `POST /v1/programs/:target/signal` body. */
export interface SignalRequest {
  signal: string | number;
  /** Only this instance; all instances when left out. */
  instance?: number;
  /** The whole process group instead of the main process. */
  group?: boolean;
}

/** `POST /v1/programs/:target/signal` reply. */
export interface SignalReply {
  delivered: Array<{ name: string; instance: number; pid: number; signal: SignalName }>;
}

/** One pool of the `POST /v1/programs/:target/proxy/restart` reply: its proxy's old and new pid, and how long its port was closed at most. */
export interface ProxyRestartReply {
  name: string;
  previousPid: number | null;
  pid: number | null;
  closedMs: number;
}

/** `DELETE /v1/programs/:target` reply. */
export interface DeleteReply {
  deleted: string[];
}

/** One line of output, as `GET /v1/logs` streams it (NDJSON, one per line). */
export interface LogLine {
  name: string;
  instance: number;
  stream: 'out' | 'err';
  /** When the daemon read the line. */
  time: string;
  line: string;
}

/** `/v1/daemon/listener` (on the Unix socket only): the daemon's TCP listener. */
export interface ListenerReply {
  isListening: boolean;
  host: string | null;
  /** The bound port (the real one when port 0 was asked for). */
  port: number | null;
  /** Whether a non-loopback address was explicitly allowed. */
  isPublic: boolean;
  /** `http://host:port/`, without the token. */
  url: string | null;
}

/** `PUT /v1/daemon/listener` body: where to listen (127.0.0.1 and 7650 when left out). */
export interface ListenRequest {
  host?: string;
  port?: number;
  isPublic?: boolean;
}

/**
 * One message of `GET /v1/events`: a daemon event, or a message about the stream itself
 * (`stream.open` first, with the sequence number live events start at; `stream.gap` when the
 * resume point is older than the ring; `stream.closed` before the daemon cuts a slow reader off).
 */
export type EventStreamMessage =
  | TendEvent
  | { kind: 'stream.open'; nextSeq: number }
  | { kind: 'stream.gap'; oldestSeq: number; nextSeq: number }
  | { kind: 'stream.closed'; reason: string };

/** A leased instance (`POST /v1/programs/:name/allocate`, the lease routes): where to reach it, and the lease. */
export interface AllocationReply {
  program: string;
  instance: number;
  host: string;
  port: number | null;
  lease: { id: string; holder: string | null; grantedAt: string; expiresAt: string | null };
}

/** A live task of a task program (the task routes, `tend tasks`): where it runs, whose it is, since when. */
export interface TaskReply {
  program: string;
  id: string;
  instance: number;
  /** The process the task runs in. */
  pid: number;
  host: string;
  port: number | null;
  owner: string | null;
  createdAt: string;
  ageMs: number;
  /** Connections to it through the proxy now. */
  connections: number;
  isOwnerConnected: boolean;
}
