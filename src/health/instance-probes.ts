import type { ProgramSpec } from '../config/program-spec.js';
import type { SupervisorRuntime } from '../process/runtime.js';
import { type ProbedInstance, probeCheckFor } from './probe-runner.js';
import {
  ProbeScheduler,
  type ProbeSchedulerEvents,
  type ScheduledProbe,
} from './probe-scheduler.js';

/**
 * The probe scheduler of one instance (one process), its checks built from the program's
 * probes, or undefined when the program has none. Not started: call `start()` once it spawned.
 */
export function createProbeScheduler(
  spec: Pick<ProgramSpec, 'startupProbe' | 'readinessProbe' | 'livenessProbe'>,
  instance: ProbedInstance,
  runtime: Pick<SupervisorRuntime, 'now' | 'setTimer'>,
  events: ProbeSchedulerEvents,
  isOnGrid = false,
): ProbeScheduler | undefined {
  const scheduled = (probe: ProgramSpec['livenessProbe']): ScheduledProbe | undefined =>
    probe && { spec: probe, check: probeCheckFor(probe, instance) };
  const startup = scheduled(spec.startupProbe);
  const readiness = scheduled(spec.readinessProbe);
  const liveness = scheduled(spec.livenessProbe);
  if (!startup && !readiness && !liveness) return undefined;
  return new ProbeScheduler({ runtime, startup, readiness, liveness, events, isOnGrid });
}
