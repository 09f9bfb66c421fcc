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
    if (nowMs - this.#windowStartMs >= LATENCY_WINDOW_MS) this.#rotate(nowMs);
    let total = 0;
    for (let i = 0; i < BUCKET_COUNT; i++)
      total += (this.#current[i] ?? 0) + (this.#previous[i] ?? 0);
    if (total === 0) return { p50: null, p90: null, p99: null };
    const targets = [0.5, 0.9, 0.99].map((q) => Math.max(1, Math.ceil(q * total)));
    const found: number[] = [];
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT && found.length < targets.length; i++) {
      seen += (this.#current[i] ?? 0) + (this.#previous[i] ?? 0);
      while (found.length < targets.length && seen >= (targets[found.length] ?? 0)) {
        found.push(Math.round(bucketMidpointMicros(i)) / 1000);
      }
    }
    return { p50: found[0] ?? null, p90: found[1] ?? null, p99: found[2] ?? null };
  }

  #rotate(nowMs: number): void {
    const isPreviousStale = nowMs - this.#windowStartMs >= 2 * LATENCY_WINDOW_MS;
    const recycled = this.#previous;
    this.#previous = isPreviousStale ? recycled.fill(0) : this.#current;
    this.#current = isPreviousStale ? new Uint32Array(BUCKET_COUNT) : recycled.fill(0);
    this.#windowStartMs = nowMs;
  }
}
