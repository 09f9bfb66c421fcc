import { type ProcSample, sampleProcess } from './proc-sample.js';

/**
 * Shortest window CPU use is measured over. Ticks are 10 ms, so over a shorter window the figure
 * is mostly rounding (one tick in 20 ms reads as 50 %).
 */
export const MIN_CPU_WINDOW_MS = 1_000;

/** Options of a MetricsSampler. */
export interface MetricsSamplerOptions {
  /** Shortest window CPU use is measured over; MIN_CPU_WINDOW_MS when left out. */
  minCpuWindowMs?: number;
}

/**
 * Current CPU and memory of processes on demand (for `tend ls`), without a polling loop: it keeps
 * the previous sample of each pid as the baseline of the next one, and forgets pids that are gone.
 */
export class MetricsSampler {
  readonly #minCpuWindowMs: number;
  readonly #baselines = new Map<number, ProcSample>();

  constructor(options: MetricsSamplerOptions = {}) {
    this.#minCpuWindowMs = options.minCpuWindowMs ?? MIN_CPU_WINDOW_MS;
  }

  /** How many pids have a baseline. */
  get size(): number {
    return this.#baselines.size;
  }

  /**
   * Samples one process. CPU use is over the time since the baseline, or the last figure again when
   * the baseline is younger than the minimum window. Undefined, and the pid forgotten, when it is gone.
   */
  sample(pid: number, now: number = Date.now()): ProcSample | undefined {
    const baseline = this.#baselines.get(pid);
    const fresh = sampleProcess(pid, baseline, now);
    if (!fresh) {
      this.#baselines.delete(pid);
      return undefined;
    }
    const isWindowTooShort =
      baseline !== undefined &&
      baseline.startTime === fresh.startTime &&
      fresh.at - baseline.at < this.#minCpuWindowMs;
    if (isWindowTooShort) return { ...fresh, cpuPercent: baseline.cpuPercent };
    this.#baselines.set(pid, fresh);
    return fresh;
  }

  /** Samples each pid (the processes that run now) and forgets every other pid. */
  sampleAll(pids: Iterable<number>, now: number = Date.now()): Map<number, ProcSample> {
    const samples = new Map<number, ProcSample>();
    for (const pid of pids) {
      const sample = this.sample(pid, now);
      if (sample) samples.set(pid, sample);
    }
    for (const pid of this.#baselines.keys()) {
      if (!samples.has(pid)) this.#baselines.delete(pid);
    }
    return samples;
  }

  /** Drops the baseline of a pid whose process ended. */
  forget(pid: number): void {
    this.#baselines.delete(pid);
  }
}
