import {
  LATENCY_BUCKET_BOUNDS_SECONDS,
  type LatencyPercentiles,
  type LatencyTotals,
} from './control-protocol.js';

/** 16 buckets per power of two: about 6 % resolution from 16 µs up to half an hour. */
const SUB_BUCKET_BITS = 4;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
const BUCKET_COUNT = (31 - SUB_BUCKET_BITS + 1) * SUB_BUCKETS;
const MAX_MICROS = 2 ** 31 - 1;

/** The samples of the current and the previous window are reported together. */
export const LATENCY_WINDOW_MS = 60_000;

function bucketOf(micros: number): number {
  if (micros < SUB_BUCKETS) return micros;
  const exponent = 31 - Math.clz32(micros);
  const sub = (micros >>> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
  return (exponent - SUB_BUCKET_BITS + 1) * SUB_BUCKETS + sub;
}

function bucketMidpointMicros(bucket: number): number {
  if (bucket < SUB_BUCKETS) return bucket;
  const shift = Math.floor(bucket / SUB_BUCKETS) - 1;
  const lower = (SUB_BUCKETS + (bucket % SUB_BUCKETS)) * 2 ** shift;
  return lower + 2 ** shift / 2;
}

/**
 * Latency percentiles over the last one to two minutes, in fixed buckets: recording is an index
 * computation and an increment, with no array to sort and nothing allocated. It also counts every
 * sample since it was made into the coarse buckets of a Prometheus histogram.
 */
export class LatencyHistogram {
  #current = new Uint32Array(BUCKET_COUNT);
  #previous = new Uint32Array(BUCKET_COUNT);
  #windowStartMs: number;
  readonly #totalBuckets = new Array<number>(LATENCY_BUCKET_BOUNDS_SECONDS.length + 1).fill(0);
  #totalSeconds = 0;
  #totalCount = 0;

  constructor(nowMs: number) {
    this.#windowStartMs = nowMs;
  }

  /** Records one sample of `durationMs`, taken at `nowMs` (performance.now()). */
  record(durationMs: number, nowMs: number): void {
    if (nowMs - this.#windowStartMs >= LATENCY_WINDOW_MS) this.#rotate(nowMs);
    const micros = Math.min(MAX_MICROS, Math.max(0, Math.round(durationMs * 1000)));
    const bucket = bucketOf(micros);
    this.#current[bucket] = (this.#current[bucket] ?? 0) + 1;
    const seconds = micros / 1_000_000;
    let total = 0;
    for (const bound of LATENCY_BUCKET_BOUNDS_SECONDS) {
      if (seconds <= bound) break;
      total++;
    }
    this.#totalBuckets[total] = (this.#totalBuckets[total] ?? 0) + 1;
    this.#totalSeconds += seconds;
    this.#totalCount++;
  }

  /** Every sample since the histogram was made, in the buckets of LATENCY_BUCKET_BOUNDS_SECONDS. */
  totals(): LatencyTotals {
    return {
      buckets: [...this.#totalBuckets],
      sumSeconds: this.#totalSeconds,
      count: this.#totalCount,
    };
  }

  /** p50, p90 and p99 in milliseconds (to the bucket's midpoint), null when there are no samples. */
  percentiles(nowMs: number): LatencyPercentiles {
    return percentilesOfWindow(this.window(nowMs));
  }

  /**
   * The samples of the last one to two minutes as sparse `[bucket, count, bucket, count, …]`, so
   * that proxy workers' windows can be summed (mergeWindows) before percentiles are taken.
   */
  window(nowMs: number): number[] {
    if (nowMs - this.#windowStartMs >= LATENCY_WINDOW_MS) this.#rotate(nowMs);
    const sparse: number[] = [];
    for (let i = 0; i < BUCKET_COUNT; i++) {
      const count = (this.#current[i] ?? 0) + (this.#previous[i] ?? 0);
      if (count !== 0) sparse.push(i, count);
    }
    return sparse;
  }

  #rotate(nowMs: number): void {
    const isPreviousStale = nowMs - this.#windowStartMs >= 2 * LATENCY_WINDOW_MS;
    const recycled = this.#previous;
    this.#previous = isPreviousStale ? recycled.fill(0) : this.#current;
    this.#current = isPreviousStale ? new Uint32Array(BUCKET_COUNT) : recycled.fill(0);
    this.#windowStartMs = nowMs;
  }
}

/** Sums sparse windows (LatencyHistogram.window) into one, buckets in increasing order. */
export function mergeWindows(windows: readonly (readonly number[])[]): number[] {
  const counts = new Map<number, number>();
  for (const window of windows) {
    for (let i = 0; i + 1 < window.length; i += 2) {
      const bucket = window[i] as number;
      counts.set(bucket, (counts.get(bucket) ?? 0) + (window[i + 1] as number));
    }
  }
  return [...counts].sort((a, b) => a[0] - b[0]).flat();
}

/** p50, p90 and p99 in milliseconds of a sparse window, null when it holds no sample. */
export function percentilesOfWindow(window: readonly number[]): LatencyPercentiles {
  let total = 0;
  for (let i = 1; i < window.length; i += 2) total += window[i] as number;
  if (total === 0) return { p50: null, p90: null, p99: null };
  const targets = [0.5, 0.9, 0.99].map((q) => Math.max(1, Math.ceil(q * total)));
  const found: number[] = [];
  let seen = 0;
  for (let i = 0; i + 1 < window.length && found.length < targets.length; i += 2) {
    seen += window[i + 1] as number;
    while (found.length < targets.length && seen >= (targets[found.length] ?? 0)) {
      found.push(Math.round(bucketMidpointMicros(window[i] as number)) / 1000);
    }
  }
  return { p50: found[0] ?? null, p90: found[1] ?? null, p99: found[2] ?? null };
}
