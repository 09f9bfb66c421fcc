/**
 * A step of `npm run build`: bundles the daemon (dist/src/daemon/run-daemon.js, fastify, pino,
 * zod, prom-client and all it loads) into one CommonJS file, dist/src/daemon/bundle.cjs, which
 * `tend daemon` requires (src/cli/load-daemon.ts). Why: Node's ES-module loader keeps a module
 * record, its source and its linking state for each of the ~300 files the daemon loaded, which
 * cost about 14 MiB of resident memory for as long as the daemon runs, and made each fork of the
 * daemon (one per spawn) copy that many more page tables. The proxy process is not in it: it
 * is a process of its own, with bundles of its own (bundle-proxy.ts).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/**
 * Loads the new bundle once in a fresh Node and saves V8's code cache of it beside it
 * (src/cli/code-cache.ts), so that even a daemon's first start in a new home skips compiling it.
 * A Node of another version (or other flags) at run time compiles it and keeps its own cache.
 */
function saveCodeCache(): void {
  const script = `
    const { requireWithCodeCache } = await import(${JSON.stringify(pathToFileURL(join(DIST_SRC, 'cli', 'code-cache.js')).href)});
    requireWithCodeCache(${JSON.stringify(BUNDLE_PATH)}, [${JSON.stringify(dirname(BUNDLE_PATH))}]).saveCache();
  `;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
}

await runBuildStep('bundle-daemon', async () => {
  await bundleDaemon();
  saveCodeCache();
});
