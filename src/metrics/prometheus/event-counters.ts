import { Counter, type Registry } from 'prom-client';
import type { EventBus } from '../../core/event-bus.js';
import type { TendEvent } from '../../core/events.js';

type Labels = Record<string, string>;

/** Counts per label set, grouped by program so that a deleted program's series go with it. */
class CountsByProgram {
  readonly #programs = new Map<string, Map<string, { labels: Labels; value: number }>>();

  add(labels: Labels & { program: string }): void {
    let series = this.#programs.get(labels.program);
    if (series === undefined) {
      series = new Map();
      this.#programs.set(labels.program, series);
    }
    const key = JSON.stringify(labels);
    const entry = series.get(key);
    if (entry) entry.value += 1;
    else series.set(key, { labels, value: 1 });
  }

  forget(program: string): void {
    this.#programs.delete(program);
  }

  *entries(): Iterable<{ labels: Labels; value: number }> {
    for (const series of this.#programs.values()) yield* series.values();
  }
}

/**
 * The counters that live between scrapes, fed by the daemon's event bus: restarts by cause,
 * errored transitions, exits by code and by signal, per pool member; tasks ended, per program. They start at zero when the
 * daemon starts (Prometheus treats the drop as a counter reset); a deleted program's series go.
 */
export class EventCounters {
  readonly #restarts = new CountsByProgram();
  readonly #errored = new CountsByProgram();
  readonly #exitCodes = new CountsByProgram();
  readonly #exitSignals = new CountsByProgram();
  readonly #tasksEnded = new CountsByProgram();
  readonly #unsubscribe: () => void;

  constructor(bus: EventBus, registry: Registry) {
    this.#counter(
      registry,
      'tend_instance_restarts_total',
      'Restarts of an instance by cause (the restarted event: exit-code, signal, manual, hung).',
      ['program', 'index', 'cause'],
      this.#restarts,
    );
    this.#counter(
      registry,
      'tend_instance_errored_total',
      'Times an instance was put in the errored state (restart intensity exceeded, or it could not be spawned).',
      ['program', 'index'],
      this.#errored,
    );
    this.#counter(
      registry,
      'tend_instance_exits_by_code_total',
      'Exits of an instance with an exit code, by code.',
      ['program', 'index', 'code'],
      this.#exitCodes,
    );
    this.#counter(
      registry,
      'tend_instance_exits_by_signal_total',
      'Exits of an instance killed by a signal, by signal name (KILL, TERM, SEGV…).',
      ['program', 'index', 'signal'],
      this.#exitSignals,
    );
    this.#counter(
      registry,
      'tend_tasks_ended_total',
      'Tasks of a task program that ended, by how (the task.ended event: owner-left, closed, exited, shutdown, freed, removed). Not restarts.',
      ['program', 'end'],
      this.#tasksEnded,
    );
    this.#unsubscribe = bus.subscribe((event) => this.#onEvent(event));
  }

  /** Stops listening to the bus. */
  close(): void {
    this.#unsubscribe();
  }

  #onEvent(event: TendEvent): void {
    switch (event.kind) {
      case 'instance.exited': {
        if (event.role !== 'instance') return;
        const labels = { program: event.program, index: String(event.instance) };
        if (event.signal !== null) {
          this.#exitSignals.add({ ...labels, signal: event.signal.replace(/^SIG/, '') });
        } else if (event.code !== null) {
          this.#exitCodes.add({ ...labels, code: String(event.code) });
        }
        return;
      }
      case 'instance.restarted':
        if (event.role !== 'instance') return;
        this.#restarts.add({
          program: event.program,
          index: String(event.instance),
          cause: event.cause,
        });
        return;
      case 'instance.errored':
        if (event.role !== 'instance') return;
        this.#errored.add({ program: event.program, index: String(event.instance) });
        return;
      case 'task.ended':
        this.#tasksEnded.add({ program: event.program, end: event.end });
        return;
      case 'program.removed':
        for (const counts of [
          this.#restarts,
          this.#errored,
          this.#exitCodes,
          this.#exitSignals,
          this.#tasksEnded,
        ]) {
          counts.forget(event.program);
        }
        return;
      default:
        return;
    }
  }

  #counter(
    registry: Registry,
    name: string,
    help: string,
    labelNames: string[],
    counts: CountsByProgram,
  ): void {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, value } of counts.entries()) this.inc(labels, value);
      },
    });
  }
}
