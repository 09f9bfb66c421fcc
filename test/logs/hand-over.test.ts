import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { test } from 'node:test';
import { LogManager } from '../../src/logs/log-manager.js';
import { logFilePath } from '../../src/logs/log-paths.js';
import { makeTempHome } from '../helpers/temp-home.js';
import {
  killIfAlive,
  nextLine,
  nodeProgram,
  storedTexts,
  untilCatching,
  withinTimeout,
} from './capture-support.js';

// Writes "one\ntw" at once, and "o\nthree\n" on SIGUSR2: the unfinished line spans two daemons.
const SCRIPT = `
process.on('SIGUSR2', () => process.stdout.write('o\\nthree\\n'));
process.stdout.write('one\\ntw');
setInterval(() => {}, 1000);
`;

test('output survives a change of daemon: what waited in the FIFO is read by the next one, and a line cut at the hand-over is whole', async (t) => {
  const home = makeTempHome(t);
  const spec = nodeProgram('app');
  const onError = (error: Error) => {
    throw error;
  };
  const first = new LogManager({ home, onError });
  const output = first.openOutput({ spec, instance: 0 });
  assert.equal(output.holders.length, 2, 'the child gets the read ends of its own FIFOs');
  const child = spawn(process.execPath, ['-e', SCRIPT], {
    stdio: ['ignore', output.stdout, output.stderr, ...output.holders],
  });
  output.afterSpawn(child.pid);
  const pid = child.pid as number;
  t.after(() => killIfAlive(pid));
  await withinTimeout(
    nextLine(first, (record) => record.line === 'one'),
    'the first line',
  );
  await untilCatching(pid, constants.signals.SIGUSR2);

  first.handOver();
  // No daemon reads now: the child writes on into its FIFO, which its own read end keeps open.
  process.kill(pid, 'SIGUSR2');
  const next = new LogManager({ home, onError });
  t.after(() => next.close());
  const three = nextLine(next, (record) => record.line === 'three');
  next.resumeOutput({ spec, instance: 0 });
  await withinTimeout(three, 'the line written while no daemon read');

  const stored = storedTexts(readFileSync(logFilePath(home, 'app', 0, 'out'), 'utf8'));
  assert.deepEqual(stored, ['one', 'two', 'three']);
  assert.equal(child.exitCode, null, 'the child still runs');
});
