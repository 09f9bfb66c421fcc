import { EventBus } from '../../src/core/event-bus.js';
import type { TendEvent } from '../../src/core/events.js';
import { ProgramCore } from '../../src/core/program-core.js';
import { PidTracker } from '../../src/daemon/pid-tracker.js';
import { FakeRuntime } from '../supervisor/fake-runtime.js';

/** The fake start time of a fake pid: any function of the pid will do, it only has to match. */
export const fakeStartTimeOf = (pid: number) => pid * 10;

/**
 * One daemon's core on its own fake runtime: the bus, every event it emitted, and the pid tracker
 * that feeds its state file (fake start times, `fakeStartTimeOf`).
 */
export function makeFakeCore() {
  const runtime = new FakeRuntime();
  const bus = new EventBus({ now: () => runtime.now() });
  const events: TendEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const pids = new PidTracker({ startTime: fakeStartTimeOf });
  pids.attach(bus);
  const core = new ProgramCore({
    runtime,
    bus,
    output: { prepare: async () => {}, remove: () => {} },
    runDir: '/nonexistent',
    onProblem: () => {},
  });
  return { runtime, bus, core, events, pids };
}
