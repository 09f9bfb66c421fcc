import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type DaemonModule = typeof import('../daemon/run-daemon.js');

const BUNDLE_PATH = fileURLToPath(new URL('../daemon/bundle.cjs', import.meta.url));
const MAIN_PATH = fileURLToPath(new URL('../daemon/run-daemon.js', import.meta.url));

/**
 * The daemon's code: its one-file bundle (scripts/bundle-daemon.ts), which costs far less memory
 * than the ~300 ES modules it is made of; or dist/src/daemon/run-daemon.js when tsc ran after the
 * bundle was made (`npx tsc -p .` alone), so that the daemon never runs older code than dist/src holds.
 */
export async function loadDaemon(): Promise<DaemonModule> {
  const bundle = statSync(BUNDLE_PATH, { throwIfNoEntry: false });
  const main = statSync(MAIN_PATH, { throwIfNoEntry: false });
  if (bundle && !(main && main.mtimeMs > bundle.mtimeMs)) {
    return createRequire(import.meta.url)(BUNDLE_PATH) as DaemonModule;
  }
  return import('../daemon/run-daemon.js');
}
