import {
  type InstanceProxyStats,
  LATENCY_BUCKET_BOUNDS_SECONDS,
} from '../../src/proxy/control-protocol.js';

/** A pool member's proxy counters, all zero and ready, with some fields overridden. */
export function proxyStats(
  instance: number,
  overrides: Partial<InstanceProxyStats> = {},
): InstanceProxyStats {
  return {
    instance,
    requests: 0,
    retries: 0,
    failures: 0,
    outstanding: 0,
    isReady: true,
    isSuspended: false,
    latencyMs: { p50: null, p90: null, p99: null },
    responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    failuresHidden: 0,
    badGateway: 0,
    latencyTotals: {
      buckets: new Array<number>(LATENCY_BUCKET_BOUNDS_SECONDS.length + 1).fill(0),
      sumSeconds: 0,
      count: 0,
    },
    ...overrides,
  };
}
