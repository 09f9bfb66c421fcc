import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';

/** Sampling period of the event-loop delay monitor; the lag it can see is at least this coarse. */
export const EVENT_LOOP_RESOLUTION_MS = 20;

/** Where the daemon's own figures come from; injectable so tests see fixed numbers. */
export interface DaemonFigures {
  cpuSeconds(): number;
  residentBytes(): number;
  eventsEmitted(): number;
}

/** The daemon's own figures from Node's process object and the event bus. */
export function processDaemonFigures(eventsEmitted: () => number): DaemonFigures {
  return {
    cpuSeconds: () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    },
    residentBytes: () => process.memoryUsage.rss(),
    eventsEmitted,
  };
}

/** The daemon's own metrics; `observeApiRequest` counts each answered API request. */
export class DaemonCollectors {
  readonly #lag: IntervalHistogram;
  readonly #apiRequests: Counter<'method' | 'route' | 'class'>;

  constructor(registry: Registry, figures: DaemonFigures) {
    const lag = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    lag.enable();
    this.#lag = lag;
    new Counter({
      name: 'tend_daemon_cpu_seconds_total',
      help: 'CPU time (user + system) the daemon has used since it started.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(figures.cpuSeconds());
      },
    });
    new Gauge({
      name: 'tend_daemon_resident_memory_bytes',
      help: 'Resident memory of the daemon.',
      registers: [registry],
      collect() {
        this.set(figures.residentBytes());
      },
    });
    new Counter({
      name: 'tend_daemon_events_emitted_total',
      help: 'Events the daemon has emitted on its event stream.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(figures.eventsEmitted());
      },
    });
    const lagSeconds = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const nanos = read();
          this.set(Number.isFinite(nanos) && lag.count > 0 ? nanos / 1e9 : 0);
        },
      });
    };
    lagSeconds(
      'tend_daemon_event_loop_lag_p99_seconds',
      `99th percentile of the daemon's event-loop delay since the previous scrape (sampled every ${EVENT_LOOP_RESOLUTION_MS} ms).`,
      () => lag.percentile(99),
    );
    lagSeconds(
      'tend_daemon_event_loop_lag_max_seconds',
      'Longest event-loop delay of the daemon since the previous scrape.',
      () => lag.max,
    );
    this.#apiRequests = new Counter({
      name: 'tend_api_requests_total',
      help: 'API requests the daemon answered, by method, route pattern and status class.',
      labelNames: ['method', 'route', 'class'],
      registers: [registry],
    });
  }

  /** Counts one answered API request; `route` is the route's pattern (bounded), not the URL. */
  observeApiRequest(method: string, route: string, status: number): void {
    this.#apiRequests.inc({ method, route, class: `${Math.floor(status / 100)}xx` });
  }

  /** Starts a new event-loop lag window: call after each scrape was rendered. */
  resetLagWindow(): void {
    this.#lag.reset();
  }

  /** Stops the event-loop monitor. */
  close(): void {
    this.#lag.disable();
  }
}
