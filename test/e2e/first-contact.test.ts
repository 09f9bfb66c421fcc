import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultLauncher, startDaemonInBackground } from '../../src/cli/autostart.js';
import { fixture, useTend } from './harness.js';

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
      return argv.includes('daemon') && environ.includes(`TEND_HOME=${tend.home}`);
    } catch {
      return false;
    }
  });
  assert.deepEqual(daemons, [String(tend.daemonPid())], 'one daemon serves the home');
});
