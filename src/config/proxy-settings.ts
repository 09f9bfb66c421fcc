import { z } from 'zod';
import { BALANCE_STRATEGIES, PROXY_DEFAULTS, PROXY_LIMITS, PROXY_MODES } from './proxy-defaults.js';

/** The host the proxy listens on. */
export const ProxyHostSchema = z.string().min(1).max(255).default(PROXY_DEFAULTS.host);

/**
 * How the proxy balances and retries: the one schema of these settings. A program's `proxy`
 * (program-spec.ts) and the control protocol's `configure` message (control-protocol.ts) both
 * spread its shape, so a setting is defined, bounded and defaulted once.
 */
export const ProxyTuningSchema = z.object({
  mode: z.enum(PROXY_MODES).default(PROXY_DEFAULTS.mode),
  balance: z.enum(BALANCE_STRATEGIES).default(PROXY_DEFAULTS.balance),
  waitForReadyMs: z
    .number()
    .int()
    .min(0)
    .max(PROXY_LIMITS.waitForReadyMsMax)
    .default(PROXY_DEFAULTS.waitForReadyMs),
  maxReplayBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(PROXY_LIMITS.maxReplayBodyBytesMax)
    .default(PROXY_DEFAULTS.maxReplayBodyBytes),
  retryNonIdempotent: z.boolean().default(PROXY_DEFAULTS.retryNonIdempotent),
  /** How long an instance may stay silent after a request was sent whole before it counts as failed. */
  responseHeaderTimeoutMs: z
    .number()
    .int()
    .min(1)
    .max(PROXY_LIMITS.responseTimeoutMsMax)
    .default(PROXY_DEFAULTS.responseHeaderTimeoutMs),
  /** How long an instance may stay silent in the middle of a response before the response is cut. */
  responseIdleTimeoutMs: z
    .number()
    .int()
    .min(1)
    .max(PROXY_LIMITS.responseTimeoutMsMax)
    .default(PROXY_DEFAULTS.responseIdleTimeoutMs),
  /** Proxy worker processes sharing the listening socket (node:cluster); 1 serves from the proxy process itself. */
  workers: z.number().int().min(1).max(PROXY_LIMITS.workersMax).default(PROXY_DEFAULTS.workers),
});
/** The balancing and retry settings, defaults applied. */
export type ProxyTuning = z.output<typeof ProxyTuningSchema>;
