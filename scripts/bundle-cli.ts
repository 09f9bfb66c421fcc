/**
 * The last step of `npm run build`: bundles the CLI that tsc emitted (dist/src/cli/main.js and
 * everything it may load) into one CommonJS file, dist/src/cli/bundle.cjs, which bin/tend.js
 * requires. Node's ES-module loader costs ~3.5 ms to start and ~0.45 ms per file; one CommonJS
 * file costs neither. The daemon, the program schema (with zod), tend.yaml handling (zod, yaml,
 * dotenv) and the exporters stay out of the bundle: they are imported from dist/src at run time,
 * only by the commands that need them (`tend daemon`, `tend help <command>`, `apply`, `export`, `schema`).
 */
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { runBuildStep } from './build-step.js';
import { DIST_SRC, nodeBundleOptions, pathFromBundle, writeBundleOutput } from './bundle-plugin.js';

const ENTRY = join(DIST_SRC, 'cli', 'main.js');
/** Where the bundle goes, beside the modules it was made of (and inside package.json's `files`). */
const BUNDLE_PATH = join(DIST_SRC, 'cli', 'bundle.cjs');
const BUNDLE_DIR = dirname(BUNDLE_PATH);

/**
 * Modules (relative to dist/src) that the bundle imports from dist/src at run time instead of
 * containing them. The daemon has a bundle of its own (scripts/bundle-daemon.ts), which
 * cli/load-daemon.js requires.
 */
const RUN_TIME_MODULES = [
  'daemon/run-daemon.js',
  'config/program-spec.js',
  'config/tend-file/index.js',
  'config/formats/index.js',
  'export/foreign-formats.js',
];

/** The only package the bundle may contain: picocolors, which loads only for a terminal. */
const BUNDLED_PACKAGES = ['picocolors'];

/** Fails the build when the bundle took in a package it should not, or imports anything but the run-time modules. */
function checkBundleContents(metafile: Metafile): void {
  const packages = new Set(
    Object.keys(metafile.inputs).flatMap(
      (input) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? [],
    ),
  );
  const problems = [...packages]
    .filter((name) => !BUNDLED_PACKAGES.includes(name))
    .map((name) => `contains the package ${name}`);
  const allowed = new Set(
    RUN_TIME_MODULES.map((module) => pathFromBundle(BUNDLE_DIR, join(DIST_SRC, module))),
  );
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external || allowed.has(imported.path)) continue;
      // import() of anything, even a built-in module, starts Node's ES-module loader.
      if (!isBuiltin(imported.path) || imported.kind === 'dynamic-import') {
        problems.push(`imports ${imported.path} at run time (${imported.kind})`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`The CLI bundle ${problems.join('; ')}`);
}

/** Builds the bundle; warnings (such as an `import.meta` this script does not handle) fail it. */
async function bundleCli(): Promise<void> {
  const result = await build({
    ...nodeBundleOptions(ENTRY, BUNDLE_PATH, RUN_TIME_MODULES),
    // For checkBundleContents: what went into the bundle, and what it imports at run time.
    metafile: true,
  });
  checkBundleContents(result.metafile);
  writeBundleOutput(result, 'CLI');
}

await runBuildStep('bundle-cli', bundleCli);
