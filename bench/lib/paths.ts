import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/lib/). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** PM2's CLI, installed as a devDependency. */
export const PM2_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'pm2');

/** tend's CLI entry point. */
export const TEND_BIN = join(REPO_ROOT, 'bin', 'tend.js');

/** The compiled fixture programs the benchmarks run under each manager. */
export const FIXTURES_DIR = join(REPO_ROOT, 'dist', 'bench', 'fixtures');

/** Path of one compiled fixture, such as `http-server`. */
export function fixturePath(name: string): string {
  return join(FIXTURES_DIR, `${name}.js`);
}

/** The WebSocket echo server the tests use, run as a proxy's instances by the connection benches. */
export const WS_ECHO = join(REPO_ROOT, 'dist', 'test', 'fixtures', 'ws-echo.js');
