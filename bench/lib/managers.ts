import { existsSync } from 'node:fs';
import type { ProcessManager } from './manager.js';
import { TEND_BIN } from './paths.js';
import { Pm2Manager } from './pm2.js';
import { TendManager } from './tend.js';

/** Whether tend's CLI is there to benchmark. */
export function isTendAvailable(): boolean {
  return existsSync(TEND_BIN);
}

/** Creates the managers to compare, tend first; tend is left out (with a note) when its CLI is missing. */
export function createManagers(): ProcessManager[] {
  if (!isTendAvailable()) console.error(`tend: ${TEND_BIN} not found, benchmarking PM2 only`);
  return isTendAvailable() ? [new TendManager(), new Pm2Manager()] : [new Pm2Manager()];
}

/** Runs `body` with the managers, shutting each down afterwards even when it fails. */
export async function withManagers<T>(
  body: (managers: ProcessManager[]) => Promise<T>,
): Promise<T> {
  const managers = createManagers();
  try {
    return await body(managers);
  } finally {
    for (const manager of managers) await manager.shutdown();
  }
}
