import type { InstanceProxyStats, ProxyStats, StatusClassCounts } from './control-protocol.js';
import { mergeWindows, percentilesOfWindow } from './latency-histogram.js';
import type { WorkerInstanceStats, WorkerStatsMessage } from './worker-messages.js';

/**
 * The pool's figures from every proxy worker's `stats` answer: counters summed per instance,
 * latency windows summed before percentiles are taken (an average of percentiles is not one).
 */
export function mergeWorkerStats(answers: readonly WorkerStatsMessage[]): ProxyStats {
  const byInstance = new Map<number, WorkerInstanceStats[]>();
  for (const answer of answers) {
    for (const stats of answer.instances) {
      const list = byInstance.get(stats.instance) ?? [];
      list.push(stats);
      byInstance.set(stats.instance, list);
    }
  }
  return {
    waiting: sum(answers, (answer) => answer.waiting),
    unavailable: sum(answers, (answer) => answer.unavailable),
    instances: [...byInstance.keys()]
      .sort((a, b) => a - b)
      .map((instance) => mergeInstance(byInstance.get(instance) ?? [])),
  };
}

function mergeInstance(parts: readonly WorkerInstanceStats[]): InstanceProxyStats {
  const first = parts[0];
  if (first === undefined) throw new Error('Expected the stats of at least one worker');
  const responses = {} as StatusClassCounts;
  for (const key of Object.keys(first.responses) as (keyof StatusClassCounts)[]) {
    responses[key] = sum(parts, (part) => part.responses[key]);
  }
  const buckets = first.latencyTotals.buckets.map((_, index) =>
    sum(parts, (part) => part.latencyTotals.buckets[index] ?? 0),
  );
  return {
    instance: first.instance,
    requests: sum(parts, (part) => part.requests),
    retries: sum(parts, (part) => part.retries),
    failures: sum(parts, (part) => part.failures),
    outstanding: sum(parts, (part) => part.outstanding),
    isReady: parts.some((part) => part.isReady),
    isSuspended: parts.some((part) => part.isSuspended),
    latencyMs: percentilesOfWindow(mergeWindows(parts.map((part) => part.latencyWindow))),
    responses,
    failuresHidden: sum(parts, (part) => part.failuresHidden),
    badGateway: sum(parts, (part) => part.badGateway),
    latencyTotals: {
      buckets,
      sumSeconds: sum(parts, (part) => part.latencyTotals.sumSeconds),
      count: sum(parts, (part) => part.latencyTotals.count),
    },
  };
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}
