import { Histogram, type LabelValues, type Registry } from 'prom-client';

/** One labelled series of a histogram whose buckets were counted elsewhere. */
export interface BucketSeries<L extends string> {
  labels: LabelValues<L>;
  /** Samples per bucket, not cumulative: one per bound, then one for above the last bound. */
  buckets: readonly number[];
  sum: number;
  count: number;
}

/** How a BucketHistogram is made. */
export interface BucketHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  bounds: readonly number[];
  registry: Registry;
  /** The series as they are at scrape time. */
  read: () => Iterable<BucketSeries<L>>;
}

/**
 * A Prometheus histogram whose bucket counts another process keeps (the pool's proxy): prom-client
 * can only observe single values, so this reports the counts it is given, read at scrape time,
 * in prom-client's own output format (the registry formats and validates it like any histogram).
 */
export class BucketHistogram<L extends string> extends Histogram<L> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: readonly number[];
  readonly #read: () => Iterable<BucketSeries<L>>;

  constructor(options: BucketHistogramOptions<L>) {
    super({
      name: options.name,
      help: options.help,
      labelNames: options.labelNames,
      buckets: [...options.bounds],
      registers: [options.registry],
    });
    this.#name = options.name;
    this.#help = options.help;
    this.#bounds = options.bounds;
    this.#read = options.read;
  }

  /** What the registry formats (prom-client calls it instead of get() for text, and get() calls it too). */
  async getForPromString() {
    type Labels = Record<string, string | number | undefined>;
    const values: Array<{ labels: Labels; value: number; metricName: string }> = [];
    const name = this.#name;
    for (const series of this.#read()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.buckets[i] ?? 0;
        values.push({
          labels: { ...series.labels, le: bound },
          value: cumulative,
          metricName: `${name}_bucket`,
        });
      });
      values.push({
        labels: { ...series.labels, le: '+Inf' },
        value: series.count,
        metricName: `${name}_bucket`,
      });
      values.push({ labels: series.labels, value: series.sum, metricName: `${name}_sum` });
      values.push({ labels: series.labels, value: series.count, metricName: `${name}_count` });
    }
    return { name, help: this.#help, type: 'histogram', values, aggregator: 'sum' };
  }
}
