import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';
import type { HangWatch } from '../health/hang-watch.js';

/**
 * Feeds the hang watch from the bus: a spawned pool member starts its silence and memory
 * watches, a ready one its watchdog (and all of them for a process adopted from an earlier
 * daemon, which is ready without a spawn), an exit ends them. The watch only reports; the core decides.
 */
export function wireHangWatch(bus: EventBus, core: ProgramCore, watch: HangWatch): () => void {
  const unsubscribe = bus.subscribe((event) => {
    if (event.kind === 'program.removed') watch.forget(event.program);
    else if (event.kind === 'daemon.stopping') watch.forget();
    else if (!('role' in event) || event.role !== 'instance') return;
    else if (event.kind === 'instance.spawned') {
      const spec = core.find(event.program)?.pool.instance(event.instance)?.spec;
      if (spec) watch.spawned(spec, event.instance, event.pid);
    } else if (event.kind === 'instance.ready') {
      // A process adopted from an earlier daemon is ready without a spawn of this daemon's.
      const spec = core.find(event.program)?.pool.instance(event.instance)?.spec;
      if (spec && !watch.isWatching(event.program, event.instance, event.pid)) {
        watch.spawned(spec, event.instance, event.pid);
      }
      watch.ready(event.program, event.instance, event.pid);
    } else if (event.kind === 'instance.exited')
      watch.ended(event.program, event.instance, event.pid);
  });
  return () => {
    unsubscribe();
    watch.forget();
  };
}
