import { Counter, Gauge, type Registry } from 'prom-client';
import { INSTANCE_STATES } from '../../supervisor/transitions.js';
import type { InstanceState } from '../../supervisor/types.js';
import type { MetricsProgram, ProcessFigures } from './metrics-source.js';

// Every state gets a series (transitions.ts lists them), so that `== 1` queries always find one.

const RUNNING_STATES = new Set<InstanceState>(['starting', 'online', 'stopping']);

/** Registers the per-instance gauges and counters that read the programs of the current scrape. */
export function registerInstanceCollectors(
  registry: Registry,
  programs: () => readonly MetricsProgram[],
  processFigures: ProcessFigures,
): void {
  const running = function* () {
    for (const program of programs()) {
      for (const instance of program.instances) {
        if (!RUNNING_STATES.has(instance.status) || instance.pid === null) continue;
        const figures = processFigures(instance.pid);
        if (figures) yield { labels: labelsOf(program.name, instance.instance), instance, figures };
      }
    }
  };
  new Gauge({
    name: 'tend_instance_state',
    help: 'The state of an instance: 1 for the state it is in, 0 for the others.',
    labelNames: ['program', 'index', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const program of programs()) {
        for (const instance of program.instances) {
          for (const state of INSTANCE_STATES) {
            this.set(
              { ...labelsOf(program.name, instance.instance), state },
              instance.status === state ? 1 : 0,
            );
          }
        }
      }
    },
  });
  new Gauge({
    name: 'tend_instance_uptime_seconds',
    help: 'How long the current process of an instance has run; 0 when none runs.',
    labelNames: ['program', 'index'],
    registers: [registry],
    collect() {
      this.reset();
      for (const program of programs()) {
        for (const instance of program.instances) {
          this.set(labelsOf(program.name, instance.instance), (instance.uptimeMs ?? 0) / 1000);
        }
      }
    },
  });
  new Counter({
    name: 'tend_instance_cpu_seconds_total',
    help: 'CPU time (user + system) used by the main process of a running instance since it started.',
    labelNames: ['program', 'index'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, figures } of running()) this.inc(labels, figures.cpuSeconds);
    },
  });
  new Gauge({
    name: 'tend_instance_resident_memory_bytes',
    help: 'Resident memory (VmRSS) of the main process of a running instance.',
    labelNames: ['program', 'index'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, figures } of running()) this.set(labels, figures.residentBytes);
    },
  });
}

/** The labels that name one pool member. */
export function labelsOf(program: string, index: number): { program: string; index: string } {
  return { program, index: String(index) };
}
