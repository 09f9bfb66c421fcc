import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireDaemonLock } from '../../src/daemon/daemon-lock.js';
import { makeTempHome } from '../helpers/temp-home.js';

test('the pid file of a daemon that is gone is taken over; release removes only our own', (t) => {
  const pidFile = join(makeTempHome(t), 'daemon.pid');
  const gone = spawnSync('true').pid;
  writeFileSync(pidFile, `${gone}\n`);
  const lock = acquireDaemonLock(pidFile);
  assert.equal(readFileSync(pidFile, 'utf8'), `${process.pid}\n`);
  writeFileSync(pidFile, '1\n');
  lock.release();
  assert.equal(readFileSync(pidFile, 'utf8'), '1\n', "another daemon's pid file stays");
});
