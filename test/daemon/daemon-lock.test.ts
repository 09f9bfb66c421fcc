import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { acquireDaemonLock, DaemonAlreadyRunningError } from '../../src/daemon/daemon-lock.js';
import { makeTempHome } from '../helpers/temp-home.js';

const lockModule = fileURLToPath(new URL('../../src/daemon/daemon-lock.js', import.meta.url));

/** A separate process that tries to take the lock, says `won` or `lost <code>`, and holds it until killed. */
function contender(home: string): { child: ChildProcess; verdict: Promise<string> } {
  const script = `
    const { acquireDaemonLock } = await import(${JSON.stringify(lockModule)});
    try {
      await acquireDaemonLock({ home: ${JSON.stringify(home)}, pidFile: ${JSON.stringify(join(home, 'daemon.pid'))}, holderWaitMs: 200, isDaemon: () => true });
      console.log('won');
      setInterval(() => {}, 1 << 30);
    } catch (error) {
      console.log('lost ' + error.code);
    }`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const verdict = once(lines, 'line').then(([line]) => line as string);
  return { child, verdict };
}

test('of many processes racing for one home, exactly one takes the lock; the others are told who holds it', async (t) => {
  const home = makeTempHome(t);
  const racers = Array.from({ length: 12 }, () => contender(home));
  t.after(() => {
    for (const { child } of racers) child.kill('SIGKILL');
  });
  const verdicts = await Promise.all(racers.map(({ verdict }) => verdict));
  const winners = racers.filter((_, index) => verdicts[index] === 'won');
  assert.equal(winners.length, 1, verdicts.join(', '));
  assert.deepEqual(
    new Set(verdicts.filter((verdict) => verdict !== 'won')),
    new Set(['lost TEND_ERR_DAEMON_ALREADY_RUNNING']),
  );
  const winner = winners[0]?.child as ChildProcess;
  assert.equal(readFileSync(join(home, 'daemon.pid'), 'utf8'), `${winner.pid}\n`);

  // kill -9: no cleanup ran, yet the kernel freed the lock with the process.
  winner.kill('SIGKILL');
  await once(winner, 'exit');
  const next = contender(home);
  t.after(() => next.child.kill('SIGKILL'));
  assert.equal(await next.verdict, 'won');
});

test('a stale pid file does not hold the lock; release removes only our own pid file', async (t) => {
  const home = makeTempHome(t);
  const pidFile = join(home, 'daemon.pid');
  writeFileSync(pidFile, `${spawnSync('true').pid}\n`);
  const lock = await acquireDaemonLock({ home, pidFile });
  assert.equal(readFileSync(pidFile, 'utf8'), `${process.pid}\n`);
  writeFileSync(pidFile, '1\n');
  await lock.release();
  assert.equal(readFileSync(pidFile, 'utf8'), '1\n', "another daemon's pid file stays");
});

test('a taken lock names its holder, or says it is squatted; a successor waits for the hand-over', async (t) => {
  const home = makeTempHome(t);
  const pidFile = join(home, 'daemon.pid');
  const held = await acquireDaemonLock({ home, pidFile });
  t.after(() => held.release());
  // The pid file names the holder (here another pid, as when a second daemon starts).
  writeFileSync(pidFile, '4242\n');
  const refused = await acquireDaemonLock({
    home,
    pidFile,
    holderWaitMs: 0,
    isDaemon: (pid) => pid === 4242,
  }).catch((error: unknown) => error);
  assert.ok(refused instanceof DaemonAlreadyRunningError);
  assert.equal(refused.holderPid, 4242);
  const squatted = await acquireDaemonLock({
    home,
    pidFile,
    holderWaitMs: 0,
    isDaemon: () => false,
  }).then(
    () => assert.fail('the lock was taken twice'),
    (error: unknown) => error as Error & { code?: string },
  );
  assert.equal(squatted.code, 'TEND_ERR_DAEMON_START_FAILED');
  assert.match(squatted.message, /held by a process that is not a tend daemon/);

  const successor = acquireDaemonLock({ home, pidFile, waitForReleaseMs: 60_000 });
  await held.transferTo(4343);
  const taken = await successor;
  t.after(() => taken.release());
  assert.equal(readFileSync(pidFile, 'utf8'), `${process.pid}\n`);
});
