import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeTempHome } from '../helpers/temp-home.js';
import { runTend } from './cli-harness.js';

const TEND_BIN = fileURLToPath(new URL('../../../bin/tend.js', import.meta.url));
const PACKAGE = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
) as { version: string };

test('every bad command line is a usage error (exit 2) with one `tend:` line, before any daemon is asked', async (t) => {
  const home = makeTempHome(t);
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['lst'], /did you mean `tend list`/],
    [['--bogus'], /Unknown option --bogus/],
    [['ls', '--bogus'], /Unknown option --bogus for `tend list`/],
    [['stop'], /Expected <name\.\.\.\|all>/],
    [['restart', 'a', 'all'], /`all` alone/],
    [['kill', 'HUP', 'web'], /use `tend signal HUP web`/],
    [['start'], /Expected <command>/],
    [['start', '--instances', '-1', 'true'], /--instances/],
    [['start', '--instances', 'abc', 'true'], /--instances/],
    [['start', '--port', '0', 'true'], /--port/],
    [['start', '--name', 'a/b', 'true'], /program name/],
    [['start', '--name', 'x'.repeat(65), 'true'], /64/],
    [['start', '--restart', 'sometimes', 'true'], /--restart/],
    [['start', '--env', 'X', 'true'], /KEY=VALUE/],
    [['logs', '--lines', 'abc'], /--lines/],
    [['logs', '--lines'], /Expected a value after --lines/],
    [['signal', 'NOTASIGNAL', 'web'], /signal/],
    [['signal', 'HUP', 'web:x'], /instance/],
    [['signal', 'HUP', 'all:1'], /all/],
    [['stop', '../etc'], /program name/],
    [['delete', ''], /empty/],
    [['daemon', 'explode'], /stop, status, start or reload/],
    [['completion', 'fish'], /bash or zsh/],
    [['help', 'nosuch'], /Expected a command to explain/],
  ];
  for (const [argv, message] of cases) {
    const result = await runTend(argv, home);
    assert.equal(result.code, 2, `tend ${argv.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '', `tend ${argv.join(' ')}`);
    assert.match(result.stderr, /^tend: [^\n]+\n$/, `tend ${argv.join(' ')}: one line`);
    assert.match(result.stderr, message, `tend ${argv.join(' ')}`);
  }
  assert.equal(existsSync(join(home, 'daemon.out')), false, 'no daemon was started');
});

test('an unreachable daemon that cannot be started is a failure (exit 1), not a usage error', async (t) => {
  const home = makeTempHome(t);
  const result = await runTend(['ls'], home);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^tend: The daemon exited \(code 7\) before it was ready/);
});

test('help, --help and --version print to stdout and succeed', async (t) => {
  const home = makeTempHome(t);
  const overview = await runTend([], home);
  assert.equal(overview.code, 0);
  assert.match(overview.stdout, /Commands:/);
  assert.doesNotMatch(overview.stdout, /__complete/, 'hidden commands stay hidden');
  const help = await runTend(['help', 'start'], home);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--restart POLICY +always, on-failure or never \(default: always\)/);
  assert.match(help.stdout, /--stop-timeout MS .*\(default: 5000\)/);
  assert.deepEqual(await runTend(['logs', '--help'], home), await runTend(['help', 'logs'], home));
  const version = await runTend(['--version'], home);
  assert.deepEqual(version, { code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
});

test('completion scripts call the hidden __complete command', async (t) => {
  const home = makeTempHome(t);
  for (const shell of ['bash', 'zsh']) {
    const result = await runTend(['completion', shell], home);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /__complete --/);
  }
  const words = await runTend(['__complete', '--', 'st'], home);
  assert.deepEqual(words, { code: 0, stdout: 'start\nstatus\nstop\nstartup\n', stderr: '' });
});

function runBin(
  args: string[],
  home: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TEND_BIN, ...args],
      { env: { PATH: process.env.PATH, TEND_HOME: home }, timeout: 10_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

test("bin/tend.js exits with the command's code and never prints a stack trace", async (t) => {
  const home = makeTempHome(t);
  const version = await runBin(['--version'], home);
  assert.deepEqual(version, { code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
  const bad = await runBin(['start', '--instances', '-1', 'true'], home);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^tend: Expected --instances to be a whole number ≥ 1, got "-1"\n$/);
  const unknown = await runBin(['nope'], home);
  assert.equal(unknown.code, 2);
  assert.doesNotMatch(unknown.stderr, /\n\s+at /);
});

test('a closed stdout pipe (tend help | head -0) ends the CLI quietly with 0', async (t) => {
  const home = makeTempHome(t);
  const child = spawn(process.execPath, [TEND_BIN, 'help'], {
    env: { PATH: process.env.PATH, TEND_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  // The reader goes away before the CLI (which takes tens of milliseconds to start) writes.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.deepEqual({ code, signal, stderr }, { code: 0, signal: null, stderr: '' });
});
