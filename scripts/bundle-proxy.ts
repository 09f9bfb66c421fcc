/**
 * A step of `npm run build`: bundles a pool's proxy (dist/src/proxy/proxy-main.js) and its cluster
 * worker (proxy-worker-main.js) into one CommonJS file each, beside them (proxy-main.cjs,
 * proxy-worker-main.cjs), which the daemon and the proxy's primary run (src/proxy/proxy-paths.ts).
 * Why, as for the daemon (bundle-daemon.ts): Node's ES-module loader keeps a record of each of the
 * ~100 modules a proxy loads; bundled, a proxy starts on about half the CPU (250 against 460 ms
 * here) and holds less memory, and a proxy that crashed serves again sooner.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { runBuildStep } from './build-step.js';
import { DIST_SRC, nodeBundleOptions, writeBundleOutput } from './bundle-plugin.js';

/** The entry points tsc emitted in dist/src/proxy, each bundled to a .cjs of the same name. */
const ENTRIES = ['proxy-main', 'proxy-worker-main'] as const;

/** Builds the bundles; warnings (such as an `import.meta` this script does not handle) fail it. */
async function bundleProxy(): Promise<void> {
  for (const entry of ENTRIES) {
    const result = await build({
      ...nodeBundleOptions(
        join(DIST_SRC, 'proxy', `${entry}.js`),
        join(DIST_SRC, 'proxy', `${entry}.cjs`),
        [],
      ),
      // Whitespace only: names stay, so stack traces in the proxy's log still read as the code.
      minifyWhitespace: true,
    });
    writeBundleOutput(result, entry);
  }
}

await runBuildStep('bundle-proxy', bundleProxy);
