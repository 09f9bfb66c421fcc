import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec } from '../config/program-spec.js';
import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';
import { createProbeScheduler } from '../health/instance-probes.js';
import type { ProbeName, ProbeScheduler, ProbeSchedulerEvents } from '../health/probe-scheduler.js';
import { sharedWakeups } from '../health/shared-wakeups.js';
import { instanceEnv } from '../process/instance-env.js';
import { isProbeGated } from '../supervisor/readiness.js';
import type { SupervisorRuntime } from '../supervisor/types.js';

/** Builds the scheduler of one process (createProbeScheduler; a test passes one with fake checks). */
export type SchedulerFactory = (
  spec: ProgramSpec,
  index: number,
  events: ProbeSchedulerEvents,
) => ProbeScheduler | undefined;

interface Scheduled {
  pid: number;
  scheduler: ProbeScheduler;
}

/**
 * Runs the probes of every running instance from the bus: one scheduler per process, started
 * when it spawns (a liveness probe alone: when it is online) and stopped when it exits, is being stopped, or its
 * program goes. What the probes find goes back to the core, which decides: a first readiness
 * pass makes a probe-gated instance `online`, later changes toggle its not-ready flag, a
 * liveness failure streak declares it hung, and every failed check is kept. An instance the
 * proxy reports suspect has its liveness probe run at once.
 */
export function wireProbes(
  bus: EventBus,
  core: ProgramCore,
  runtime: Pick<SupervisorRuntime, 'now' | 'setTimer'>,
  factory: SchedulerFactory = defaultFactory(runtime),
): () => void {
  /** The scheduler of each instance's current process, keyed `name:index`. */
  const running = new Map<string, Scheduled>();

  const stop = (key: string) => {
    running.get(key)?.scheduler.stop();
    running.delete(key);
  };
  const stopAll = (name?: string) => {
    for (const key of [...running.keys()]) {
      if (name === undefined || key.startsWith(`${name}:`)) stop(key);
    }
  };

  const sync = (name: string, index: number) => {
    const key = `${name}:${index}`;
    const supervisor = core.find(name)?.pool.instance(index);
    const snapshot = supervisor?.snapshot();
    // Probes that gate readiness run from the spawn; a liveness probe alone waits until the
    // instance is online (its TCP check passed), so a server still starting is not counted hung.
    const isRunning =
      supervisor !== undefined &&
      snapshot !== undefined &&
      snapshot.pid !== null &&
      (snapshot.state === 'online' ||
        (snapshot.state === 'starting' && isProbeGated(supervisor.spec)));
    const current = running.get(key);
    if (current && (!isRunning || current.pid !== snapshot.pid)) stop(key);
    if (!isRunning || supervisor === undefined || running.has(key)) return;
    const pid = snapshot.pid as number;
    // The definition the process was spawned with, even if the program was updated since.
    const spec = supervisor.spec;
    const isGated = isProbeGated(spec);
    const streaks = new Map<ProbeName, { failures: number; reason: string }>();
    const scheduler = factory(spec, index, {
      onReady: () => {
        // Without startup or readiness probes, readiness is the TCP check's (or the spawn's) to say.
        if (isGated) core.markReady(name, index, pid);
      },
      onNotReady: (reason) => core.markNotReady(name, index, pid, reason),
      onHung: (reason) => core.declareHung(name, index, pid, reason),
      onResult: (probe, result) => {
        if (result.ok) {
          streaks.delete(probe);
          return;
        }
        const reason = result.reason ?? 'failed';
        const streak = streaks.get(probe) ?? { failures: 0, reason };
        const isNews =
          streak.failures < (spec[`${probe}Probe`]?.failureThreshold ?? 1) ||
          streak.reason !== reason;
        streaks.set(probe, { failures: streak.failures + 1, reason });
        // A probe that keeps failing the same way (an instance not ready for hours) would flood
        // the history; it is told up to its threshold, then when its reason changes.
        if (!isNews) return;
        core.noteProbeFailure(name, index, pid, {
          probe,
          reason,
          at: runtime.now(),
        });
      },
    });
    if (scheduler === undefined) return;
    running.set(key, { pid, scheduler });
    scheduler.start();
  };

  const unsubscribe = bus.subscribe((event) => {
    if (event.kind === 'program.removed') stopAll(event.program);
    else if (event.kind === 'daemon.stopping') stopAll();
    else if (event.kind === 'instance.suspect') {
      const current = running.get(`${event.program}:${event.instance}`);
      if (current?.pid === event.pid) current.scheduler.runNow('liveness');
    } else if (
      (event.kind === 'instance.spawned' ||
        event.kind === 'instance.state' ||
        event.kind === 'instance.exited') &&
      event.role === 'instance'
    ) {
      sync(event.program, event.instance);
    }
  });
  return () => {
    unsubscribe();
    stopAll();
  };
}

function defaultFactory(runtime: Pick<SupervisorRuntime, 'now' | 'setTimer'>): SchedulerFactory {
  // One set of wake-ups for every instance's probes: checks due together run together.
  const wakeups = sharedWakeups(runtime);
  return (spec, index, events) =>
    createProbeScheduler(
      spec,
      { port: instancePort(spec, index), cwd: spec.cwd, env: instanceEnv(spec, index) },
      wakeups,
      events,
      true,
    );
}
