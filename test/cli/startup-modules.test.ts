import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runTend } from './cli-harness.js';
import { FAKE_LAUNCHER, fakeDaemonEnv, fakeHome } from './fake-daemon-harness.js';

const TEND_BIN = fileURLToPath(new URL('../../../bin/tend.js', import.meta.url));
const TRACE_LOADER = fileURLToPath(new URL('./module-trace-loader.js', import.meta.url));

/** More modules than this on the path of `tend ls` means start-up got slower: each costs about 0.5 ms. */
const MAX_LS_MODULES = 16;

test('tend ls loads no heavy dependency and few modules of its own', async (t) => {
  const home = fakeHome(t);
  const env = fakeDaemonEnv(home, 'serve');
  const started = await runTend(['daemon', 'start'], home, { launcher: FAKE_LAUNCHER, env });
  assert.equal(started.code, 0, started.stderr);

  const traceFile = join(home, 'modules.txt');
  const code = await new Promise<number>((resolve) => {
    execFile(
      process.execPath,
      ['--no-warnings', '--experimental-loader', TRACE_LOADER, TEND_BIN, 'ls'],
      { env: { ...env, TEND_TRACE_MODULES: traceFile }, timeout: 20_000 },
      (error) => resolve(error ? Number(error.code ?? 1) : 0),
    );
  });
  assert.equal(code, 0);
  const loaded = readFileSync(traceFile, 'utf8').split('\n').filter(Boolean);
  const packages = loaded.filter((url) => url.includes('/node_modules/'));
  assert.deepEqual(
    packages,
    [],
    'no package is loaded: not zod, fastify, pino, commander, not even picocolors on a pipe',
  );
  const own = loaded.filter((url) => url.startsWith('file:'));
  assert.ok(own.length <= MAX_LS_MODULES, `${own.length} modules: ${own.join(' ')}`);
});
