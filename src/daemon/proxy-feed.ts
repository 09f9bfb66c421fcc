import type { EventBus } from '../core/event-bus.js';
import type { ProgramCore } from '../core/program-core.js';

/** Sends each pool's proxy its membership whenever a member changes or the pool is scaled. */
export function feedProxies(bus: EventBus, core: ProgramCore): () => void {
  return bus.subscribe((event) => {
    const isMemberChange =
      (event.kind.startsWith('instance.') && 'role' in event && event.role === 'instance') ||
      event.kind === 'program.scaled';
    if (isMemberChange && 'program' in event) core.find(event.program)?.feedProxy();
  });
}
