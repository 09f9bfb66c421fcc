/**
 * A step of `npm run build`: bundles the daemon (dist/src/daemon/run-daemon.js, fastify, pino,
 * zod, prom-client and all it loads) into one CommonJS file, dist/src/daemon/bundle.cjs, which
 * `tend daemon` requires (src/cli/load-daemon.ts). Why: Node's ES-module loader keeps a module
 * record, its source and its linking state for each of the ~300 files the daemon loaded, which
 * cost about 14 MiB of resident memory for as long as the daemon runs, and made each fork of the
 * daemon (one per spawn) copy that many more page tables. The proxy process is not in it: it
 * runs from dist/src/proxy/proxy-main.js, a process of its own.
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { runBuildStep } from './build-step.js';
import { DIST_SRC, nodeBundleOptions, writeBundleOutput } from './bundle-plugin.js';

const ENTRY = join(DIST_SRC, 'daemon', 'run-daemon.js');
/** Where the bundle goes, beside the modules it was made of (and inside package.json's `files`). */
const BUNDLE_PATH = join(DIST_SRC, 'daemon', 'bundle.cjs');

/** Builds the bundle; warnings (such as an `import.meta` this script does not handle) fail it. */
async function bundleDaemon(): Promise<void> {
  const result = await build({
    ...nodeBundleOptions(ENTRY, BUNDLE_PATH, []),
    // Whitespace only: names stay, so stack traces in daemon.log still read as the code.
    minifyWhitespace: true,
  });
  writeBundleOutput(result, 'daemon');
}

await runBuildStep('bundle-daemon', bundleDaemon);
