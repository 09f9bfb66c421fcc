import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempHome } from '../helpers/temp-home.js';

const BIN_DIR = fileURLToPath(new URL('../../../bin/', import.meta.url));

/** A copy of bin/ beside a fake dist/ whose bundle and main.js say which of them ran. */
function fakeCheckout(t: { after(fn: () => void): void }): { root: string; cliDir: string } {
  const root = makeTempHome(t, 'tend-bin-');
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(BIN_DIR, 'tend.js'), join(root, 'bin', 'tend.js'));
  copyFileSync(join(BIN_DIR, 'package.json'), join(root, 'bin', 'package.json'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  const cliDir = join(root, 'dist', 'src', 'cli');
  mkdirSync(cliDir, { recursive: true });
  return { root, cliDir };
}

function writeBundle(cliDir: string, mtimeS: number): void {
  const path = join(cliDir, 'bundle.cjs');
  writeFileSync(
    path,
    "exports.runCli = async (argv) => { process.stdout.write('bundle ' + argv.join(' ') + '\\n'); return 3; };\n",
  );
  utimesSync(path, mtimeS, mtimeS);
}

function writeMain(cliDir: string, mtimeS: number): void {
  const path = join(cliDir, 'main.js');
  writeFileSync(
    path,
    "export async function runCli(argv) { process.stdout.write('main ' + argv.join(' ') + '\\n'); return 4; }\n",
  );
  utimesSync(path, mtimeS, mtimeS);
}

function runBin(root: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'tend.js'), 'ls', '--json'],
      { timeout: 10_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const BUILT_AT_S = 1_700_000_000;

test('bin/tend.js runs the bundle when it is as new as dist/src/cli/main.js, with its exit code', async (t) => {
  const { root, cliDir } = fakeCheckout(t);
  writeMain(cliDir, BUILT_AT_S);
  // Equal times are what a packed tarball has: every file gets the same date.
  writeBundle(cliDir, BUILT_AT_S);
  assert.deepEqual(await runBin(root), { code: 3, stdout: 'bundle ls --json\n', stderr: '' });
});

test('bin/tend.js runs dist/src/cli/main.js when tsc ran after the bundle was made', async (t) => {
  const { root, cliDir } = fakeCheckout(t);
  writeBundle(cliDir, BUILT_AT_S);
  writeMain(cliDir, BUILT_AT_S + 5);
  assert.deepEqual(await runBin(root), { code: 4, stdout: 'main ls --json\n', stderr: '' });
});

test('bin/tend.js runs dist/src/cli/main.js when there is no bundle, and says so when nothing is built', async (t) => {
  const { root, cliDir } = fakeCheckout(t);
  assert.deepEqual(await runBin(root), {
    code: 1,
    stdout: '',
    stderr: 'tend: the CLI is not built; run `npm run build` in the tend folder\n',
  });
  writeMain(cliDir, BUILT_AT_S);
  assert.deepEqual(await runBin(root), { code: 4, stdout: 'main ls --json\n', stderr: '' });
});
