import { statSync } from 'node:fs';

/**
 * Which file to run for a part of tend that `npm run build` bundles into one CommonJS file (the
 * daemon, the proxy, its workers): the bundle, unless tsc ran after it was made (`npx tsc -p .`
 * alone left dist/src newer), so that nothing runs older code than dist/src holds. bin/tend.js
 * makes the same choice for the CLI in CommonJS of its own.
 */
export function isBundleCurrent(bundlePath: string, modulePath: string): boolean {
  const bundle = statSync(bundlePath, { throwIfNoEntry: false });
  const module = statSync(modulePath, { throwIfNoEntry: false });
  return bundle !== undefined && !(module !== undefined && module.mtimeMs > bundle.mtimeMs);
}
