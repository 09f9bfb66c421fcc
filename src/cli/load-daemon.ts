import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBundleCurrent } from '../bundle-entry.js';
import { homePaths } from '../config/home.js';
import { releaseMemory } from '../core/release-memory.js';
import { requireWithCodeCache } from './code-cache.js';

type DaemonModule = typeof import('../daemon/run-daemon.js');

const BUNDLE_PATH = fileURLToPath(new URL('../daemon/bundle.cjs', import.meta.url));
const MAIN_PATH = fileURLToPath(new URL('../daemon/run-daemon.js', import.meta.url));
/** Where `npm run build` leaves the bundle and the code cache it made for it (scripts/bundle-daemon.ts). */
const DAEMON_DIST_DIR = dirname(BUNDLE_PATH);

/**
 * How long after loading the bundle its compiled code is saved (by then the start-up has run,
 * and its functions are compiled too) and the start-up's memory released.
 */
const AFTER_START_UP_MS = 3_000;

/**
 * The daemon's code: its one-file bundle (scripts/bundle-daemon.ts), which costs far less memory
 * than the ~300 ES modules it is made of, compiled through a code cache in the home
 * (code-cache.ts); or dist/src/daemon/run-daemon.js when tsc ran after the bundle was made
 * (`npx tsc -p .` alone), so that the daemon never runs older code than dist/src holds.
 */
export async function loadDaemon(home: string): Promise<DaemonModule> {
  if (isBundleCurrent(BUNDLE_PATH, MAIN_PATH)) {
    // The cache `npm run build` made beside the bundle, else the one a daemon of this home saved.
    const loaded = requireWithCodeCache(BUNDLE_PATH, [
      DAEMON_DIST_DIR,
      homePaths(home).codeCacheDir,
    ]);
    setTimeout(() => {
      try {
        loaded.saveCache();
      } catch {
        // No cache: the next start compiles, as this one did.
      }
      void releaseMemory();
    }, AFTER_START_UP_MS).unref();
    return loaded.exports as DaemonModule;
  }
  return import('../daemon/run-daemon.js');
}
