/**
 * What the Prometheus exposition reads at scrape time: the programs, their instances and their
 * proxies' counters. A structural subset of the API's ProgramDetail, so that the daemon passes its
 * program list as it is and the metrics code imports nothing from the API.
 */
import type { InstanceProxyStats } from '../../proxy/control-protocol.js';
import type { InstanceState } from '../../supervisor/types.js';

/** One instance as the metrics see it. */
export interface MetricsInstance {
  instance: number;
  status: InstanceState;
  pid: number | null;
  /** How long the current process has run, or null when none runs. */
  uptimeMs: number | null;
}

/** The counters of a pool's proxy. */
export interface MetricsProxy {
  /** Requests answered 503 (tcp: connections closed) because no instance was ready in time. */
  unavailable: number;
  instances: InstanceProxyStats[];
}

/** One program as the metrics see it. */
export interface MetricsProgram {
  name: string;
  instances: MetricsInstance[];
  proxy: MetricsProxy | null;
}

/** The current programs, read once per scrape. */
export interface MetricsSource {
  list(): Promise<MetricsProgram[]>;
}

/** CPU time and resident memory of a live process; undefined when it is gone or a zombie. */
export type ProcessFigures = (
  pid: number,
) => { cpuSeconds: number; residentBytes: number } | undefined;
