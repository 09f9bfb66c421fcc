import type { InstanceProxyStats, ProxyMessage } from './control-protocol.js';

/** An instance's counters as a proxy worker reports them: with its latency window (LatencyHistogram.window), so that the primary can merge percentiles. */
export type WorkerInstanceStats = InstanceProxyStats & { latencyWindow: number[] };

/** A proxy worker's answer to `stats`. */
export interface WorkerStatsMessage {
  type: 'stats';
  id: number | string;
  waiting: number;
  unavailable: number;
  instances: WorkerInstanceStats[];
}

/** What a proxy worker tells the primary: any proxy message, its `stats` with latency windows. */
export type WorkerMessage = Exclude<ProxyMessage, { type: 'stats' }> | WorkerStatsMessage;
