import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';
import { ReadinessWatcher } from '../health/readiness-watcher.js';

/**
 * Runs each instance's readiness check from the bus: a change of a pool member starts, keeps
 * or cancels its check, and a pass is reported back to the core. The check only reports; the
 * supervisor decides.
 */
export function wireReadiness(bus: EventBus, core: ProgramCore): () => void {
  const watcher = new ReadinessWatcher();
  const unsubscribe = bus.subscribe((event) => {
    if (event.kind === 'program.removed') watcher.cancel(event.program);
    else if (event.kind === 'daemon.stopping') watcher.cancel();
    else if (
      (event.kind === 'instance.spawned' ||
        event.kind === 'instance.state' ||
        event.kind === 'instance.exited') &&
      event.role === 'instance'
    ) {
      const program = core.find(event.program);
      const snapshot = program?.pool.instance(event.instance)?.snapshot();
      if (!program || !snapshot) return;
      watcher.update(program.spec, snapshot, {
        onReady: (pid) => core.markReady(event.program, event.instance, pid),
        onBlocked: (pid, problem) => core.noteNotReady(event.program, event.instance, pid, problem),
      });
    }
  });
  return () => {
    unsubscribe();
    watcher.cancel();
  };
}
