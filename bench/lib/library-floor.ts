import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { onCleanup } from './cleanup.js';
import { awaitExit, killQuietly, runCommand } from './exec.js';
import { fixturePath } from './paths.js';

const READY_TIMEOUT_MS = 30_000;

/** The library floor while it runs (bench/fixtures/library-floor.ts). */
export interface LibraryFloor {
  pid: number;
  stop(): Promise<void>;
}

/**
 * Bundles the library floor and its launcher into CommonJS files as the daemon's bundle is made
 * (esbuild, Node 20, whitespace minified), saves its code cache as `npm run build` does for the
 * daemon, then starts it and resolves once it serves on its socket.
 */
export async function startLibraryFloor(): Promise<LibraryFloor> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-floor-'));
  const cleanupDir = onCleanup(`rm ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(dir, 'floor.cjs');
  const main = join(dir, 'main.cjs');
  for (const [entry, outfile] of [
    [fixturePath('library-floor'), bundle],
    [fixturePath('library-floor-main'), main],
  ] as const) {
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      minifyWhitespace: true,
      logLevel: 'error',
    });
  }
  const cacheDir = join(dir, 'cache');
  await runCommand(process.execPath, [main, bundle, cacheDir, 'save-cache']);
  const child = spawn(
    process.execPath,
    [main, bundle, cacheDir, 'serve', join(dir, 'floor.sock'), join(dir, 'floor.log')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const pid = child.pid ?? 0;
  const cleanupChild = onCleanup(`library floor ${pid}`, async () => {
    if (child.exitCode === null && child.signalCode === null) killQuietly(pid, 'SIGTERM');
    await awaitExit(child);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the library floor never said ready')),
      READY_TIMEOUT_MS,
    );
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (chunk.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the library floor exited (code ${code})`));
    });
  });
  return {
    pid,
    async stop() {
      await cleanupChild.runNow();
      await cleanupDir.runNow();
    },
  };
}
