import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { runDirectory } from '../../src/logs/log-paths.js';
import { prepareTaskFifos, taskFifoPath } from '../../src/tasks/task-channel.js';
import { makeTempHome } from '../helpers/temp-home.js';

test('prepareTaskFifos makes each instance its private task FIFO ahead of the spawns, and mends a file that is no FIFO', async (t) => {
  const home = makeTempHome(t);
  mkdirSync(runDirectory(home), { recursive: true });
  writeFileSync(taskFifoPath(home, 'room', 1), 'not a fifo');

  await prepareTaskFifos(home, 'room', 3);
  for (const instance of [0, 1, 2]) {
    const stat = lstatSync(taskFifoPath(home, 'room', instance));
    assert.ok(stat.isFIFO(), `instance ${instance} has a FIFO`);
    assert.equal(stat.mode & 0o777, 0o600);
  }
  assert.throws(() => lstatSync(taskFifoPath(home, 'room', 3)), { code: 'ENOENT' });

  // Growing the fleet keeps the FIFOs that exist (a running process holds them) and adds the new ones.
  const before = lstatSync(taskFifoPath(home, 'room', 0)).ino;
  await prepareTaskFifos(home, 'room', 5);
  assert.equal(lstatSync(taskFifoPath(home, 'room', 0)).ino, before);
  assert.ok(lstatSync(taskFifoPath(home, 'room', 4)).isFIFO());
});
