import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemonInBackground } from '../../src/cli/autostart.js';
import { TendError } from '../../src/errors.js';
import { isProcessAlive } from '../helpers/proc.js';
import { runTend } from './cli-harness.js';
import {
  fakeDaemonEnv as env,
  fakeHome,
  FAKE_LAUNCHER as LAUNCHER,
  startedPids,
} from './fake-daemon-harness.js';

async function rejection(promise: Promise<unknown>): Promise<TendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TendError, String(error));
    return error;
  }
  assert.fail('expected a rejection');
}

test('a daemon that writes `ready` on fd 3 is waited for, left running, and its home is created private', async (t) => {
  const home = fakeHome(t);
  const { pid } = await startDaemonInBackground({
    home,
    launcher: LAUNCHER,
    env: env(home, 'serve'),
  });
  assert.deepEqual(startedPids(home), [pid]);
  assert.ok(isProcessAlive(pid));
  assert.ok(existsSync(join(home, 'tend.sock')), 'it answers once it said ready');
  assert.equal(statSync(home).mode & 0o777, 0o700);
  assert.match(
    readFileSync(join(home, 'daemon.out'), 'utf8'),
    new RegExp(`fake daemon ${pid} started`),
  );
});

test('`error <message>` on fd 3 becomes a start failure that carries the message', async (t) => {
  const home = fakeHome(t);
  const error = await rejection(
    startDaemonInBackground({ home, launcher: LAUNCHER, env: env(home, 'error') }),
  );
  assert.equal(error.code, 'TEND_ERR_DAEMON_START_FAILED');
  assert.match(error.message, /the state file is on fire/);
  assert.match(error.message, /daemon\.out/);
});

test('a daemon that exits without a word is reported with its exit code and its last output', async (t) => {
  const home = fakeHome(t);
  const error = await rejection(
    startDaemonInBackground({ home, launcher: LAUNCHER, env: env(home, 'exit') }),
  );
  assert.equal(error.code, 'TEND_ERR_DAEMON_START_FAILED');
  assert.match(error.message, /exited \(code 3\) before it was ready/);
  assert.match(error.message, /boom: cannot start/);
});

test('a daemon that never answers times out with a clear message', async (t) => {
  const home = fakeHome(t);
  const error = await rejection(
    startDaemonInBackground({ home, launcher: LAUNCHER, env: env(home, 'silent'), timeoutMs: 300 }),
  );
  assert.equal(error.code, 'TEND_ERR_DAEMON_START_FAILED');
  assert.match(error.message, /did not report ready within 300ms/);
});

test('a program that cannot be run at all is a start failure, not a crash', async (t) => {
  const home = fakeHome(t);
  const launcher = { file: join(home, 'no-such-binary'), args: [] };
  const error = await rejection(
    startDaemonInBackground({ home, launcher, env: env(home, 'serve') }),
  );
  assert.equal(error.code, 'TEND_ERR_DAEMON_START_FAILED');
  assert.match(error.message, /ENOENT/);
});

test('a command starts the daemon when none answers, and the next command uses the same one', async (t) => {
  const home = fakeHome(t);
  const options = { launcher: LAUNCHER, env: env(home, 'serve') };
  const first = await runTend(['ls', '--json'], home, options);
  assert.deepEqual(first, { code: 0, stdout: '[]\n', stderr: '' });
  const second = await runTend(['ls'], home, options);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /No programs are managed/);
  assert.equal(startedPids(home).length, 1);
});

test('two commands racing to start the daemon both succeed with one daemon', async (t) => {
  const home = fakeHome(t);
  const options = { launcher: LAUNCHER, env: env(home, 'serve') };
  const [a, b] = await Promise.all([
    runTend(['ls', '--json'], home, options),
    runTend(['ls', '--json'], home, options),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const serving = readFileSync(join(home, 'daemon.out'), 'utf8').match(/serving/g) ?? [];
  assert.equal(serving.length, 1);
});

test('a daemon that fails to start makes the command fail with exit 1 and its reason', async (t) => {
  const home = fakeHome(t);
  const result = await runTend(['ls'], home, { launcher: LAUNCHER, env: env(home, 'error') });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^tend: The daemon the state file is on fire/);
});

test('API errors come back with their message and the exit code of their code', async (t) => {
  const home = fakeHome(t);
  const result = await runTend(['status', 'nosuch'], home, {
    launcher: LAUNCHER,
    env: env(home, 'serve'),
  });
  assert.deepEqual(result, { code: 1, stdout: '', stderr: 'tend: No program named `nosuch`\n' });
});

test('kill stops the daemon and returns once it is gone; with none running it says so and succeeds', async (t) => {
  const home = fakeHome(t);
  const options = { launcher: LAUNCHER, env: env(home, 'serve') };
  const none = await runTend(['kill'], home, options);
  assert.equal(none.code, 0);
  assert.match(none.stdout, /No daemon is running/);
  assert.equal(startedPids(home).length, 0, 'kill does not start a daemon');

  await runTend(['daemon', 'start'], home, options);
  const [pid] = startedPids(home);
  assert.ok(pid !== undefined && isProcessAlive(pid));
  const stopped = await runTend(['daemon', 'stop'], home, options);
  assert.deepEqual(stopped, { code: 0, stdout: 'The daemon has stopped\n', stderr: '' });
  assert.equal(
    existsSync(join(home, 'tend.sock')),
    false,
    'the daemon removed its socket before kill returned',
  );
  const status = await runTend(['daemon', 'status'], home, options);
  assert.equal(status.code, 1);
  assert.match(status.stderr, /^tend: No daemon answers/);
  assert.equal(startedPids(home).length, 1, 'status does not start a daemon');
});

test("status of all shows the daemon's start-up problems; with --json on stderr, keeping stdout JSON", async (t) => {
  const home = fakeHome(t);
  const options = {
    launcher: LAUNCHER,
    env: { ...env(home, 'serve'), FAKE_PROBLEM: 'state.json was corrupt; moved aside' },
  };
  const text = await runTend(['status'], home, options);
  assert.equal(text.code, 0);
  assert.match(
    text.stdout,
    /^daemon: state\.json was corrupt; moved aside\nThese were found when the daemon started; `tend daemon status` \(or GET \/v1\/health, `problems`\) shows them again\.\n\nNo programs are managed/,
  );
  const json = await runTend(['status', 'all', '--json'], home, options);
  assert.deepEqual(JSON.parse(json.stdout), []);
  assert.match(json.stderr, /^tend: the daemon reported at start-up: state\.json was corrupt/);
});
