/**
 * A step of `npm run build`: bundles the web dashboard (dashboard/, Preact and uPlot) into
 * dist/dashboard/: index.html and assets/app.js, assets/app.css, which the daemon serves on its
 * TCP listener. Everything the page needs is in those files: nothing is fetched at run time.
 */
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { refuseWarnings, runBuildStep } from './build-step.js';

const SOURCE = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const OUT = fileURLToPath(new URL('../dashboard/', import.meta.url));

/**
 * Builds into a fresh folder and swaps the assets in, so a daemon serving meanwhile never sees
 * half a build. Only index.html and assets/ are replaced: tsc also emits the dashboard's
 * framework-free modules under dist/dashboard/src/ for the node tests (test/dashboard/).
 */
async function bundleDashboard(): Promise<void> {
  const next = join(OUT, `assets.${process.pid}.part`);
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  const result = await build({
    entryPoints: { app: join(SOURCE, 'src', 'main.tsx'), style: join(SOURCE, 'src', 'style.css') },
    outdir: next,
    entryNames: '[name]',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'eof',
    logLevel: 'silent',
  });
  refuseWarnings(result.warnings, 'dashboard');
  // One stylesheet name for the page: the CSS entry point is written as style.css.
  renameSync(join(next, 'style.css'), join(next, 'app.css'));
  rmSync(join(OUT, 'assets'), { recursive: true, force: true });
  renameSync(next, join(OUT, 'assets'));
  copyFileSync(join(SOURCE, 'index.html'), join(OUT, 'index.html'));
}

await runBuildStep('bundle-dashboard', bundleDashboard);
