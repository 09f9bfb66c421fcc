import type { ProgramDetail } from './wire.js';

/** One program's figures over time, column by column, as uPlot takes them (time in seconds). */
export interface ProgramSeries {
  time: number[];
  cpu: Array<number | null>;
  memoryMiB: Array<number | null>;
  restarts: number[];
  requestsPerSecond: Array<number | null>;
  latencyP50: Array<number | null>;
  latencyP99: Array<number | null>;
}

/** How far back the charts go. */
export const HISTORY_WINDOW_MS = 10 * 60_000;

/** Samples closer together than this replace each other (a burst of events is one sample). */
const MIN_SAMPLE_GAP_MS = 250;

/** Keeps, per program, the figures of each `GET /v1/programs` answer over the last minutes. */
export class SampleHistory {
  readonly #series = new Map<string, ProgramSeries>();
  readonly #requests = new Map<string, { at: number; total: number }>();

  record(at: number, programs: readonly ProgramDetail[]): void {
    const seen = new Set<string>();
    for (const program of programs) {
      seen.add(program.name);
      const series = this.#series.get(program.name) ?? emptySeries();
      this.#series.set(program.name, series);
      const last = series.time.at(-1);
      if (last !== undefined && at - last * 1000 < MIN_SAMPLE_GAP_MS) dropLast(series);
      this.#append(series, at, program);
      dropOlderThan(series, (at - HISTORY_WINDOW_MS) / 1000);
    }
    for (const name of this.#series.keys()) if (!seen.has(name)) this.#series.delete(name);
  }

  /** The figures of one program, or undefined before its first sample. */
  series(name: string): ProgramSeries | undefined {
    return this.#series.get(name);
  }

  #append(series: ProgramSeries, at: number, program: ProgramDetail): void {
    const running = program.instances.filter((instance) => instance.pid !== null);
    series.time.push(at / 1000);
    series.cpu.push(sumOrNull(running.map((instance) => instance.cpu)));
    const memory = sumOrNull(running.map((instance) => instance.memoryBytes));
    series.memoryMiB.push(memory === null ? null : memory / 1024 / 1024);
    series.restarts.push(program.instances.reduce((sum, instance) => sum + instance.restarts, 0));
    const proxy = program.proxy;
    if (!proxy) {
      series.requestsPerSecond.push(null);
      series.latencyP50.push(null);
      series.latencyP99.push(null);
      return;
    }
    const total = proxy.instances.reduce((sum, counters) => sum + counters.requests, 0);
    const previous = this.#requests.get(program.name);
    this.#requests.set(program.name, { at, total });
    const seconds = previous ? (at - previous.at) / 1000 : 0;
    series.requestsPerSecond.push(
      previous && seconds > 0 && total >= previous.total
        ? (total - previous.total) / seconds
        : null,
    );
    const p50s = proxy.instances.flatMap((counters) => counters.latencyMs.p50 ?? []);
    const p99s = proxy.instances.flatMap((counters) => counters.latencyMs.p99 ?? []);
    series.latencyP50.push(p50s.length ? p50s.reduce((a, b) => a + b, 0) / p50s.length : null);
    series.latencyP99.push(p99s.length ? Math.max(...p99s) : null);
  }
}

function emptySeries(): ProgramSeries {
  return {
    time: [],
    cpu: [],
    memoryMiB: [],
    restarts: [],
    requestsPerSecond: [],
    latencyP50: [],
    latencyP99: [],
  };
}

function columns(series: ProgramSeries): Array<unknown[]> {
  return [
    series.time,
    series.cpu,
    series.memoryMiB,
    series.restarts,
    series.requestsPerSecond,
    series.latencyP50,
    series.latencyP99,
  ];
}

function dropLast(series: ProgramSeries): void {
  for (const column of columns(series)) column.pop();
}

function dropOlderThan(series: ProgramSeries, oldestSeconds: number): void {
  let count = 0;
  while (count < series.time.length && (series.time[count] ?? 0) < oldestSeconds) count++;
  if (count > 0) for (const column of columns(series)) column.splice(0, count);
}

function sumOrNull(values: Array<number | null>): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : known.reduce((sum, value) => sum + value, 0);
}
