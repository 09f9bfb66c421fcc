import { z } from 'zod';
import { ProxyHostSchema, ProxyTuningSchema } from '../config/proxy-settings.js';
import { TaskSettingsSchema } from '../config/task-settings.js';

const port = z.number().int().min(0).max(65_535);

/**
 * The version of the control protocol this build speaks; the proxy announces it in `hello` as a
 * daemon connects, and the daemon sends a proxy only the messages its version takes (a proxy
 * adopted across `tend daemon reload` runs the code it was started with). Raise it with each
 * daemon → proxy message that a proxy of the previous version could not take, and record that
 * message in DAEMON_MESSAGE_SINCE. 1: no `hello` (every proxy before versioning). 2: `hello`,
 * `tasks-changed`, and an unknown message type ignored (logged once) instead of refused. 3:
 * `membership-changed`.
 */
export const CONTROL_PROTOCOL_VERSION = 3;

/** The version of a proxy that announces none: one started by a tend from before `hello`. */
export const UNANNOUNCED_CONTROL_PROTOCOL = 1;

/** The protocol version that brought each daemon → proxy message a proxy may not know (absent: version 1). */
export const DAEMON_MESSAGE_SINCE = { 'tasks-changed': 2, 'membership-changed': 3 } as const;

/** Whether a proxy speaking `protocol` takes `type`. */
export function proxyTakes(protocol: number, type: keyof typeof DAEMON_MESSAGE_SINCE): boolean {
  return protocol >= DAEMON_MESSAGE_SINCE[type];
}

/** `configure`: the pool, where to listen and how to balance. The first message; later ones may change any of it. */
export const ConfigureMessageSchema = z.object({
  type: z.literal('configure'),
  pool: z.string().min(1).max(256),
  listen: z.object({ host: ProxyHostSchema, port }),
  ...ProxyTuningSchema.shape,
  /** Set for a task program's pool (`--tasks`): routes `/<pool>/new` and `/<pool>/<id>` to tasks. */
  tasks: TaskSettingsSchema.nullable().default(null),
});

/** One instance of the pool as the proxy routes to it. */
export const UpstreamSchema = z.object({
  instance: z.number().int().min(0),
  host: z.string().min(1).max(255).default('127.0.0.1'),
  port: port.min(1),
  isReady: z.boolean(),
  /** Taken out of rotation for a reload: no new requests, idle connections closed, `drained` once none is in flight. */
  isDraining: z.boolean().default(false),
});

/** One instance of the pool, defaults applied. */
export type RoutedUpstream = z.output<typeof UpstreamSchema>;

/** Most instances in one membership message. */
const MAX_UPSTREAMS = 4096;

/** `upstreams`: the full membership of the pool; sent once per connection, then `membership-changed` (to a proxy that takes it). */
export const UpstreamsMessageSchema = z.object({
  type: z.literal('upstreams'),
  upstreams: z.array(UpstreamSchema).max(MAX_UPSTREAMS),
});

/**
 * `membership-changed`: the instances added or changed since the last `upstreams` or
 * `membership-changed`, and the numbers of those removed from the pool.
 */
export const MembershipChangedMessageSchema = z.object({
  type: z.literal('membership-changed'),
  upstreams: z.array(UpstreamSchema).max(MAX_UPSTREAMS),
  removed: z.array(z.number().int().min(0)).max(MAX_UPSTREAMS),
});

/** One allocated task as the proxy routes to it (`/<pool>/<id>`). */
export const RoutedTaskSchema = z.object({
  id: z.string().min(1).max(64),
  instance: z.number().int().min(0),
  host: z.string().min(1).max(255).default('127.0.0.1'),
  port: port.min(1),
  /** `starting`: allocated but not ready yet; a client connecting waits up to connectWaitMs. */
  state: z.enum(['starting', 'ready']),
  owner: z.string().max(256).nullable(),
});

/** `tasks`: the full table of the pool's live tasks (an ended task is absent); sent once per connection, then `tasks-changed`. */
export const TasksMessageSchema = z.object({
  type: z.literal('tasks'),
  tasks: z.array(RoutedTaskSchema).max(65_536),
});

/**
 * `tasks-changed`: the tasks added or changed since the last `tasks` or `tasks-changed`, and the
 * ids of those that ended. The daemon sends the full table once per connection, then changes.
 */
export const TasksChangedMessageSchema = z.object({
  type: z.literal('tasks-changed'),
  tasks: z.array(RoutedTaskSchema).max(65_536),
  ended: z.array(z.string().min(1).max(64)).max(65_536),
});

/**
 * `task-allocated` / `lease-granted` / `lease-updated` / `refused`: the answer to a proxy's
 * `allocate-task`, `allocate-lease` or `lease-action`.
 */
export const AllocationAnswerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('task-allocated'), requestId: z.string(), task: RoutedTaskSchema }),
  z.object({
    type: z.literal('lease-granted'),
    requestId: z.string(),
    /** The lease as the API returns it (api/wire.ts), passed to the client as JSON. */
    lease: z.record(z.string(), z.unknown()),
  }),
  z.object({
    type: z.literal('lease-updated'),
    requestId: z.string(),
    /** The lease released or renewed, as the API's release and renew routes return it. */
    lease: z.record(z.string(), z.unknown()),
  }),
  z.object({
    type: z.literal('refused'),
    requestId: z.string(),
    /** The HTTP status the client gets (404, 409, 503…) and tend's error code and message. */
    status: z.number().int(),
    code: z.string(),
    message: z.string(),
  }),
]);

/** `stats`: asks for the per-instance counters; the answer carries the same id. */
export const StatsRequestSchema = z.object({
  type: z.literal('stats'),
  id: z.number().int().or(z.string().max(256)),
});

/** Any message the daemon sends to the proxy. */
export const DaemonMessageSchema = z.discriminatedUnion('type', [
  ConfigureMessageSchema,
  UpstreamsMessageSchema,
  MembershipChangedMessageSchema,
  StatsRequestSchema,
  TasksMessageSchema,
  TasksChangedMessageSchema,
  ...AllocationAnswerSchema.options,
]);

/** The `type` of every daemon → proxy message this build knows; any other is from a newer daemon. */
export const DAEMON_MESSAGE_TYPES: ReadonlySet<string> = new Set(
  DaemonMessageSchema.options.map((option) => option.shape.type.value),
);

/** A daemon → proxy message, as the daemon may write it (defaults left out). */
export type DaemonMessageInput = z.input<typeof DaemonMessageSchema>;
/** A daemon → proxy message, defaults applied. */
export type DaemonMessage = z.output<typeof DaemonMessageSchema>;
/** A `configure` message, defaults applied. */
export type ConfigureMessage = z.output<typeof ConfigureMessageSchema>;

/** Latency percentiles of one instance, in milliseconds; null when it has served nothing yet. */
export interface LatencyPercentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

/**
 * Upper bounds (seconds) of the cumulative latency buckets the proxy keeps per instance, for
 * Prometheus histograms; one list read by the proxy and the daemon.
 */
export const LATENCY_BUCKET_BOUNDS_SECONDS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Every upstream latency since the proxy started, counted into LATENCY_BUCKET_BOUNDS_SECONDS. */
export interface LatencyTotals {
  /** Samples per bucket (not cumulative): one entry per bound, then one for above the last. */
  buckets: number[];
  sumSeconds: number;
  count: number;
}

/** Responses relayed from one instance, by the first digit of their status (http mode). */
export interface StatusClassCounts {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

/** Counters of one instance since the proxy started. */
export interface InstanceProxyStats {
  instance: number;
  /** Requests (http) or connections (tcp) sent to this instance, retries included. */
  requests: number;
  /** Of those, how many were retries of a request that had failed on an instance before. */
  retries: number;
  /** Attempts that failed on this instance: connect errors, and resets or closes before or during the response. */
  failures: number;
  /** Requests or connections in flight on this instance now. */
  outstanding: number;
  isReady: boolean;
  /** Whether the proxy is skipping the instance after a failure, until it is ready again. */
  isSuspended: boolean;
  /** Upstream response time (http: request sent → response complete; tcp: connect time), last 1–2 minutes. */
  latencyMs: LatencyPercentiles;
  /** Responses relayed from this instance by status class (101 counts as 1xx). */
  responses: StatusClassCounts;
  /** Failures on this instance of requests that a retry then delivered: the client never saw them. */
  failuresHidden: number;
  /** 502 answers given after a failure on this instance that could not be retried. */
  badGateway: number;
  /** Every latency since the proxy started, in buckets. */
  latencyTotals: LatencyTotals;
}

/** What the proxy answers to `stats`: its pool-wide figures and each instance's counters. */
export interface ProxyStats {
  /** Requests (or connections) waiting for a ready instance now. */
  waiting: number;
  /** Requests answered 503 (tcp: connections closed) because no instance was ready in time. */
  unavailable: number;
  instances: InstanceProxyStats[];
}

/** Any message the proxy sends to the daemon. */
export type ProxyMessage =
  /** The proxy's first line on each daemon connection: the control protocol it speaks (CONTROL_PROTOCOL_VERSION). */
  | { type: 'hello'; protocol: number }
  | { type: 'listening'; host: string; port: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'upstream-failed'; instance: number; reason: string }
  /** The instance took a request and stopped answering (a response timeout): it may be hung. The daemon runs its liveness probe at once (docs/health.md). */
  | { type: 'upstream-suspect'; instance: number; reason: string }
  /** A draining instance has no request (or connection) in flight left: the daemon may stop it. */
  | { type: 'drained'; instance: number }
  | ({ type: 'stats'; id: number | string } & ProxyStats)
  /** A client opened `/<pool>/new` (or POSTed it): allocate a task, with the id it asked for if any. Answered by `task-allocated` or `refused`. */
  | { type: 'allocate-task'; requestId: string; id: string | null; owner: string }
  /** A client asked the proxy port for a free worker (the dispatcher). Answered by `lease-granted` or `refused`. */
  | {
      type: 'allocate-lease';
      requestId: string;
      holder: string | null;
      ttlMs: number | null;
      timeoutMs: number;
    }
  /** A lease was granted after its client left (nobody will release it): the daemon ends it. */
  | { type: 'release-lease'; leaseId: string; holder: string | null }
  /** A client releases or renews a lease through the proxy port. Answered by `lease-updated` or `refused` (404 ended or unknown, 409 not its holder). */
  | {
      type: 'lease-action';
      requestId: string;
      action: 'release' | 'renew';
      leaseId: string;
      holder: string | null;
      /** For `renew`: the new time-to-live, or null for the lease's own. */
      ttlMs: number | null;
    }
  /** A task's connections changed: how many, and whether its owner (the client that allocated it) is among them. */
  | {
      type: 'task-connections';
      id: string;
      count: number;
      isOwnerConnected: boolean;
      /** The owner will not come: its client left while the allocation was in flight, or a POST's owner never connected. */
      hasOwnerGivenUp?: boolean;
    };

/** Longest control message accepted, in bytes; a longer line closes the connection. */
export const MAX_CONTROL_LINE_BYTES = 4 * 1024 * 1024;
