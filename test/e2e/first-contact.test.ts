import assert from 'node:assert/strict';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { type TestContext, test } from 'node:test';
import { defaultLauncher, startDaemonInBackground } from '../../src/cli/autostart.js';
import { findFreePortRange } from '../helpers/free-ports.js';
import { fixture, TEND_BIN, type TendUnderTest, useTend } from './harness.js';

test('first command waited out the start timeout: the real daemon reports ready on its notify pipe', async (t) => {
  const tend = useTend(t);
  // The real launcher and the real daemon (a fake launcher is what let the 10 s stall through).
  // With the bug the daemon's `ready` never arrived and this rejected after the timeout.
  const { pid } = await startDaemonInBackground({
    home: tend.home,
    launcher: defaultLauncher(),
    env: { ...process.env, TEND_HOME: tend.home },
    timeoutMs: 60_000,
  });
  assert.equal(tend.daemonPid(), pid);
  assert.match(readFileSync(join(tend.home, 'daemon.log'), 'utf8'), /daemon ready/);
  assert.deepEqual(
    readdirSync(tend.home).filter((entry) => entry.includes('notify')),
    [],
    'the notify FIFO is unlinked once both ends are open',
  );
  const list = await tend.run(['ls']);
  assert.equal(list.code, 0, list.stderr);
});

test('first command on a fresh home through the real CLI starts the daemon and answers', async (t) => {
  const tend = useTend(t);
  const result = await tend.run(['ls']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /No programs are managed/);
  assert.equal(result.stderr, '');
});

test('two first commands at once: the CLI that loses the race to start the daemon uses the winner', async (t) => {
  const tend = useTend(t);
  const COUNT = 20;
  const results = await Promise.all(
    Array.from({ length: COUNT }, (_, index) =>
      tend.run(['start', '--name', `p${index}`, ...fixture('forever')]),
    ),
  );
  for (const [index, result] of results.entries()) {
    assert.equal(result.code, 0, `p${index}: ${result.stderr}`);
  }
  const names = new Set((await tend.list()).map((row) => row.name));
  assert.equal(names.size, COUNT);
  const daemons = readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      // The daemon, not its watcher (`sh …/tend-watcher.sh node …/tend.js daemon`).
      const isDaemon =
        argv.includes('daemon') && !argv.some((arg) => arg.endsWith('tend-watcher.sh'));
      return isDaemon && environ.includes(`TEND_HOME=${tend.home}`);
    } catch {
      return false;
    }
  });
  assert.deepEqual(daemons, [String(tend.daemonPid())], 'one daemon serves the home');
});

test('a crash loop was reported as a success: tend start waits and fails with the exit code and the stderr', async (t) => {
  const tend = useTend(t);
  const result = await tend.run(['start', '--name', 'boom', '--shell', 'echo boom >&2; exit 3']);
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, /boom\[0\] exited at start: code 3 /);
  assert.match(result.stderr, /last lines of boom's stderr:\n {2}boom\[0\] boom\n/);
  const json = await tend.run(['restart', 'boom', '--json']);
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.stderr).error.code, 'TEND_ERR_PROGRAM_START_FAILED');
});

test('tend start --no-wait returns once spawned, and a program that keeps running is reported started', async (t) => {
  const tend = useTend(t);
  const noWait = await tend.run(['start', '--no-wait', '--name', 'boom', '--shell', 'exit 3']);
  assert.equal(noWait.code, 0, noWait.stderr);
  const started = await tend.run([
    'start',
    '--min-uptime',
    '200',
    '--name',
    'calm',
    ...fixture('forever'),
  ]);
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /^Started calm\n/);
  const again = await tend.run(['start', 'calm']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /calm was already running/);
});

test('tend start prints the instances as they are once it has waited: online, not the starting of the spawn', async (t) => {
  const tend = useTend(t);
  const gate = join(tend.home, 'may-listen');
  const port = await findFreePortRange(1);
  await tend.ok(['ls']); // the daemon, whose event stream the wait below reads
  const starting = tend.run([
    'start',
    '--name',
    'slow',
    '--port',
    String(port),
    ...fixture('listen-when', gate),
  ]);
  // The instance is spawned and starting, so the daemon's answer to the create said `starting`.
  await tend.until('slow to be spawned', async () => {
    const slow = await tend.program('slow').catch(() => undefined);
    return typeof slow?.instances[0]?.pid === 'number';
  });
  writeFileSync(gate, '');
  const started = await starting;
  assert.equal(started.code, 0, started.stderr);
  assert.match(started.stdout, /^Started slow\n/);
  assert.match(started.stdout, /^slow +0 +\d+ +online /m);
});

/** What a CLI process wrote on stderr up to its first line end (or all of it, if it ended first). */
function firstStderrLine(cli: ChildProcessByStdio<null, Readable, Readable>): Promise<string> {
  cli.stderr.setEncoding('utf8');
  let stderr = '';
  return new Promise<string>((resolve) => {
    cli.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes('\n')) resolve(stderr);
    });
    cli.stderr.on('end', () => resolve(stderr));
  });
}

/** Runs the CLI with `args` in the background: when it exits, and its first line on stderr. */
function startCli(t: TestContext, tend: TendUnderTest, args: string[]) {
  const cli = spawn(process.execPath, [TEND_BIN, ...args], {
    env: { ...process.env, TEND_HOME: tend.home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => cli.kill('SIGKILL'));
  return { exited: once(cli, 'exit'), firstLine: firstStderrLine(cli) };
}

test('a start that waits for a port says what it waits for, how long, and how to stop waiting', async (t) => {
  const tend = useTend(t);
  const gate = join(tend.home, 'may-listen');
  const port = await findFreePortRange(1);
  const { exited, firstLine } = startCli(t, tend, [
    'start',
    '--name',
    'quiet',
    '--port',
    String(port),
    ...fixture('listen-when', gate),
  ]);
  // The note comes after SLOW_START_NOTICE_MS while the port does not listen; the gate opens only then.
  assert.equal(
    await firstLine,
    `tend: waiting for quiet[0] to listen on port ${port}, up to 30s (--start-timeout); Ctrl-C stops the wait, not the program; --no-wait does not wait\n`,
  );
  writeFileSync(gate, '');
  const [code] = await exited;
  assert.equal(code, 0);
});

test('tend apply that waits for a port says what it waits for, as tend start does', async (t) => {
  const tend = useTend(t);
  const gate = join(tend.home, 'may-listen');
  const port = await findFreePortRange(1);
  const file = join(tend.home, 'tend.yaml');
  const [command, ...args] = fixture('listen-when', gate);
  writeFileSync(file, JSON.stringify({ programs: { quiet: { command, args, port } } }));
  const { exited, firstLine } = startCli(t, tend, ['apply', '-f', file]);
  assert.equal(
    await firstLine,
    `tend: waiting for quiet[0] to listen on port ${port}, up to 30s (startTimeoutMs); Ctrl-C stops the wait, not the program; --no-wait does not wait\n`,
  );
  writeFileSync(gate, '');
  const [code] = await exited;
  assert.equal(code, 0);
});
