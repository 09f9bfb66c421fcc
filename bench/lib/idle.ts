import type { ProcessManager } from './manager.js';
import { pollUntil } from './probes.js';

/** The idle program every benchmark uses: it sleeps and does nothing, whatever the manager. */
export const IDLE_COMMAND = { command: 'sleep', args: ['100000'] } as const;

/** Starts `count` idle programs (idle-0, idle-1, …), one CLI call each, and waits until all are online. */
export async function startIdlePrograms(manager: ProcessManager, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    await manager.start({ name: `idle-${index}`, ...IDLE_COMMAND });
  }
  await awaitAllOnline(manager, count);
}

/** Waits until the manager lists `count` instances, each online with a pid. */
export async function awaitAllOnline(
  manager: ProcessManager,
  count: number,
  timeoutMs = 60_000,
): Promise<void> {
  await pollUntil(
    `${count} ${manager.label} instances online`,
    async () => {
      const instances = await manager.list();
      const online = instances.filter(
        (instance) => instance.status === 'online' && instance.pid !== null,
      );
      return online.length >= count ? true : undefined;
    },
    { intervalMs: 100, timeoutMs },
  );
}
