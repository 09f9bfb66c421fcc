import { z } from 'zod';
import { ProxyHostSchema, ProxyTuningSchema } from '../config/proxy-settings.js';

const port = z.number().int().min(0).max(65_535);

/** `configure`: the pool, where to listen and how to balance. The first message; later ones may change any of it. */
export const ConfigureMessageSchema = z.object({
  type: z.literal('configure'),
  pool: z.string().min(1).max(256),
  listen: z.object({ host: ProxyHostSchema, port }),
  ...ProxyTuningSchema.shape,
});

/** `upstreams`: the full membership of the pool, each time. */
export const UpstreamsMessageSchema = z.object({
  type: z.literal('upstreams'),
  upstreams: z
    .array(
      z.object({
        instance: z.number().int().min(0),
        host: z.string().min(1).max(255).default('127.0.0.1'),
        port: port.min(1),
        isReady: z.boolean(),
        /** Taken out of rotation for a reload: no new requests, idle connections closed, `drained` once none is in flight. */
        isDraining: z.boolean().default(false),
      }),
    )
    .max(4096),
});

/** `stats`: asks for the per-instance counters; the answer carries the same id. */
export const StatsRequestSchema = z.object({
  type: z.literal('stats'),
  id: z.number().int().or(z.string().max(256)),
});

/** Any message the daemon sends to the proxy. */
export const DaemonMessageSchema = z.discriminatedUnion('type', [
  ConfigureMessageSchema,
  UpstreamsMessageSchema,
  StatsRequestSchema,
]);

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
  | { type: 'listening'; host: string; port: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'upstream-failed'; instance: number; reason: string }
  /** The instance took a request and stopped answering (a response timeout): it may be hung. The daemon runs its liveness probe at once (docs/health.md). */
  | { type: 'upstream-suspect'; instance: number; reason: string }
  /** A draining instance has no request (or connection) in flight left: the daemon may stop it. */
  | { type: 'drained'; instance: number }
  | ({ type: 'stats'; id: number | string } & ProxyStats);

/** Longest control message accepted, in bytes; a longer line closes the connection. */
export const MAX_CONTROL_LINE_BYTES = 4 * 1024 * 1024;
