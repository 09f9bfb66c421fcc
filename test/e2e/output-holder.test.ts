import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ENDED_UNSEEN_REASON } from '../../src/supervisor/reasons.js';
import { isProcessAlive } from '../helpers/proc.js';
import { assertEveryNumberOnce, loggedNumbers } from './counter-log.js';
import { pidsOf } from './daemon-kill.js';
import { fixture, pollUntil, type TendUnderTest, useTend, watcherOf } from './harness.js';
import { holdsPath, outputHoldersOf } from './output-holders.js';

const LINES = 500;

/**
 * Waits until an output holder of the home holds the FIFO. The holder is replaced a second
 * after a change of the set, and nothing on the bus tells it: this polls /proc.
 */
function untilHeld(tend: TendUnderTest, fifo: string, except?: number): Promise<number> {
  return pollUntil(
    `an output holder holding ${fifo}`,
    async () => outputHoldersOf(tend.home).find((pid) => pid !== except && holdsPath(pid, fifo)),
    15_000,
  );
}

function errLogSays(tend: TendUnderTest, name: string, text: string): boolean {
  const path = join(tend.home, 'logs', name, '0.err.log');
  return existsSync(path) && readFileSync(path, 'utf8').includes(text);
}

test('lines written by an instance that ends while no daemon runs are kept for the next daemon: every line once, in order', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'burst', '--', ...fixture('write-on-signal', String(LINES))]);
  const [pid] = await pidsOf(tend, 'burst');
  assert.ok(pid);
  const fifo = join(tend.home, 'run', 'burst.0.out');
  await pollUntil(
    'the program to be ready',
    async () => errLogSays(tend, 'burst', 'ready'),
    15_000,
  );
  await untilHeld(tend, fifo);

  // No daemon at all: its watcher first, so that nothing starts it again.
  const daemon = tend.daemonPid();
  assert.ok(daemon !== undefined);
  const watcher = watcherOf(daemon);
  assert.ok(watcher !== undefined, 'the daemon runs under its watcher');
  process.kill(watcher, 'SIGKILL');
  process.kill(daemon, 'SIGKILL');
  await pollUntil('the daemon to be gone', async () => !isProcessAlive(daemon), 15_000);

  // The instance writes, then ends: it was the last process with the FIFO open but the holder.
  process.kill(pid, 'SIGUSR2');
  await pollUntil('the instance to end', async () => !isProcessAlive(pid), 15_000);
  assert.equal(
    outputHoldersOf(tend.home).some((holder) => holdsPath(holder, fifo)),
    true,
    'the holder outlived the daemon and the instance',
  );

  await tend.ok(['daemon', 'start']);
  const detail = await tend.until('the ended instance to be started again', async () => {
    const program = await tend.program('burst');
    const instance = program.instances[0];
    return instance?.pid !== pid && instance?.status === 'online' ? instance : undefined;
  });
  const exit = detail.exits.at(-1);
  assert.ok(exit, `an exit is recorded: ${JSON.stringify(detail)}`);
  // Not the new daemon's child: its code is known only if its zombie was seen before PID 1 reaped it.
  assert.ok(
    exit.signal === null &&
      (exit.code === 0 || (exit.code === null && exit.reason === ENDED_UNSEEN_REASON)),
    `exit recorded as ${JSON.stringify(exit)}`,
  );
  const logs = await tend.ok(['logs', 'burst', '--out', '--lines', String(LINES * 2)]);
  assert.deepEqual(
    logs.trim().split('\n'),
    Array.from({ length: LINES }, (_, index) => String(index + 1)),
    'tend logs shows every line once, in order',
  );
  await tend.ok(['stop', 'burst']);
  const numbers = loggedNumbers(tend.home, 'burst');
  assertEveryNumberOnce(numbers, 'burst');
  assert.equal(numbers.length, LINES);

  // A stop of everything leaves no holder behind (the crashed daemon's was replaced, the new one ended).
  await tend.ok(['daemon', 'stop']);
  assert.deepEqual(outputHoldersOf(tend.home), []);
});

test('the output holder killed while the daemon runs changes nothing for the instances; a new one holds their FIFOs a second later', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '5')]);
  const pids = await pidsOf(tend, 'tick');
  const fifo = join(tend.home, 'run', 'tick.0.out');
  const holder = await untilHeld(tend, fifo);
  process.kill(holder, 'SIGKILL');
  const next = await untilHeld(tend, fifo, holder);
  assert.notEqual(next, holder);
  assert.deepEqual(await pidsOf(tend, 'tick'), pids, 'no instance restarted');
  const program = await tend.program('tick');
  assert.equal(program.instances[0]?.status, 'online');
  assert.equal(program.instances[0]?.restarts, 0);
  await tend.ok(['daemon', 'stop']);
  assert.deepEqual(outputHoldersOf(tend.home), [], 'daemon stop ends the holder');
  assertEveryNumberOnce(loggedNumbers(tend.home, 'tick'), 'tick');
});
