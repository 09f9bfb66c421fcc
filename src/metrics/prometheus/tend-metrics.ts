import { Registry } from 'prom-client';
import type { EventBus } from '../../core/event-bus.js';
import { DaemonCollectors, type DaemonFigures, processDaemonFigures } from './daemon-collectors.js';
import { EventCounters } from './event-counters.js';
import { registerInstanceCollectors } from './instance-collectors.js';
import type { MetricsProgram, MetricsSource, ProcessFigures } from './metrics-source.js';
import { readProcessFigures } from './process-figures.js';
import { registerProxyCollectors } from './proxy-collectors.js';

/** What the metrics read: the event bus, the programs, and (for tests) where process figures come from. */
export interface TendMetricsOptions {
  bus: EventBus;
  source: MetricsSource;
  processFigures?: ProcessFigures;
  daemonFigures?: DaemonFigures;
}

/**
 * The daemon's Prometheus metrics, in their own registry (never prom-client's global one): counters
 * fed by the event bus, and collectors that read the programs once per scrape.
 */
export class TendMetrics {
  readonly #registry = new Registry();
  readonly #source: MetricsSource;
  readonly #events: EventCounters;
  readonly #daemon: DaemonCollectors;
  #programs: readonly MetricsProgram[] = [];
  #rendering: Promise<string> | undefined;

  constructor(options: TendMetricsOptions) {
    this.#source = options.source;
    const programs = () => this.#programs;
    registerInstanceCollectors(
      this.#registry,
      programs,
      options.processFigures ?? readProcessFigures,
    );
    this.#events = new EventCounters(options.bus, this.#registry);
    registerProxyCollectors(this.#registry, programs);
    this.#daemon = new DaemonCollectors(
      this.#registry,
      options.daemonFigures ?? processDaemonFigures(() => options.bus.emittedCount),
    );
  }

  /** The Content-Type of the exposition. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /**
   * Reads the programs once, then renders every metric in the text exposition format. Scrapes that
   * arrive while one is being rendered share its result (one program list per render).
   */
  render(): Promise<string> {
    this.#rendering ??= this.#render().finally(() => {
      this.#rendering = undefined;
    });
    return this.#rendering;
  }

  async #render(): Promise<string> {
    this.#programs = await this.#source.list();
    try {
      return await this.#registry.metrics();
    } finally {
      this.#programs = [];
      this.#daemon.resetLagWindow();
    }
  }

  /** Counts one answered API request. */
  observeApiRequest(method: string, route: string, status: number): void {
    this.#daemon.observeApiRequest(method, route, status);
  }

  /** Stops listening to the bus and the event loop. */
  close(): void {
    this.#events.close();
    this.#daemon.close();
  }
}
