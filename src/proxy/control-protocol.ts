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
}

/** Any message the proxy sends to the daemon. */
export type ProxyMessage =
  | { type: 'listening'; host: string; port: number }
  | { type: 'error'; code: string; message: string }
  | { type: 'upstream-failed'; instance: number; reason: string }
  | { type: 'stats'; id: number | string; waiting: number; instances: InstanceProxyStats[] };

/** Longest control message accepted, in bytes; a longer line closes the connection. */
export const MAX_CONTROL_LINE_BYTES = 4 * 1024 * 1024;
