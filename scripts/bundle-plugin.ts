/**
 * What the CLI and the daemon bundles share: their esbuild options (nodeBundleOptions), and the
 * esbuild plugin in them, which keeps the named modules of dist/src out of the bundle (rewriting
 * their import paths for the bundle's folder), turns import() of a built-in module into a lazy
 * require(), and gives each module the URL of its own file in dist/src for `import.meta.url`
 * (which CommonJS lacks), so that `new URL('../../package.json', import.meta.url)` still finds
 * package.json.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, BuildResult, Plugin } from 'esbuild';
import { refuseWarnings } from './build-step.js';

/** dist/src, where tsc emitted the modules that are bundled. */
export const DIST_SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Defines the stand-in for `import.meta.url`; `require` runs only when a module asks for its URL.
 * "use strict" comes first, or it would no longer be a directive and the bundle would run sloppy.
 */
export const BUNDLE_BANNER =
  '"use strict";\nvar __tendModuleUrl = (path) => require("node:url").pathToFileURL(require("node:path").join(__dirname, path)).href;';

/** An import path as written in a bundle in `bundleDir`: relative to it, with `./` and `/`. */
export function pathFromBundle(bundleDir: string, file: string): string {
  const path = relative(bundleDir, file).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

/** The plugin for a bundle written to `bundlePath`, leaving out `runTimeModules` (relative to dist/src). */
export function tendBundlePlugin(bundlePath: string, runTimeModules: readonly string[]): Plugin {
  const bundleDir = dirname(bundlePath);
  return {
    name: 'tend-bundle',
    setup(builder) {
      const runTimeFiles = new Set(runTimeModules.map((module) => join(DIST_SRC, module)));
      builder.onResolve({ filter: /^\.\.?\// }, (args) => {
        const file = resolve(args.resolveDir, args.path);
        if (!runTimeFiles.has(file)) return undefined;
        return { path: pathFromBundle(bundleDir, file), external: true };
      });
      // import() of a built-in module would start the ES-module loader: a lazy require() does not.
      builder.onResolve({ filter: /^node:/ }, (args) =>
        args.kind === 'dynamic-import' ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
      );
      builder.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
      builder.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(DIST_SRC)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        const contents = source.replaceAll(
          'import.meta.url',
          `__tendModuleUrl(${JSON.stringify(pathFromBundle(bundleDir, args.path))})`,
        );
        return { contents, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * The esbuild options of a bundle of `entry` (a module tsc emitted in dist/src) into one CommonJS
 * file `outfile` for Node 20, with a source map, leaving out `runTimeModules` (relative to
 * dist/src). Kept in memory (`write: false`) for writeBundleOutput.
 */
export function nodeBundleOptions(
  entry: string,
  outfile: string,
  runTimeModules: readonly string[],
): BuildOptions & { write: false } {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    banner: { js: BUNDLE_BANNER },
    plugins: [tendBundlePlugin(outfile, runTimeModules)],
    sourcemap: true,
    write: false,
    logLevel: 'silent',
  };
}

/**
 * Refuses a bundle built with warnings, then writes each output file aside and renames it, so
 * that a process starting meanwhile reads the old bundle or the new one, never half of one.
 */
export function writeBundleOutput(result: BuildResult<{ write: false }>, what: string): void {
  refuseWarnings(result.warnings, `${what} bundle`);
  for (const file of result.outputFiles) {
    const partPath = `${file.path}.${process.pid}.part`;
    writeFileSync(partPath, file.contents);
    renameSync(partPath, file.path);
  }
}
