import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { isProcessAlive, procState } from '../helpers/proc.js';
import { assertEveryNumberOnce, loggedNumbers } from './counter-log.js';
import { health, killDaemon, pidsOf } from './daemon-kill.js';
import { fixture, pollUntil, type TendUnderTest, useTend, watcherOf } from './harness.js';
import { outputHoldersOf } from './output-holders.js';
import { startPool, untilProxyFed } from './pool-harness.js';

/** Longest time the API may be away during `tend daemon reload` (the issue: 1 s). */
const RELOAD_GAP_MS = Number(process.env.TEND_TEST_RELOAD_GAP_MS ?? 1_000);

/**
 * How many times the repeated-kill test kills the daemon: the issue's 50 under CI, 5 elsewhere
 * (a cycle costs a daemon start, about 1.2 s of CPU here); TEND_TEST_KILLS sets it.
 */
const KILLS = Number(process.env.TEND_TEST_KILLS ?? (process.env.CI ? 50 : 5));

/**
 * A log across kills: never a line repeated or out of order. A kill that lands between the
 * daemon's read of a chunk and its write to the log loses that chunk (docs/architecture.md says
 * why): at most one gap per kill, each one chunk read (at most 64 KiB), and reported.
 */
function assertAtMostAChunkLostPerKill(
  t: { diagnostic(message: string): void },
  what: string,
  numbers: number[],
  kills: number,
): void {
  assert.ok(numbers.length > 0);
  const disorder = numbers.findIndex(
    (value, index) => index > 0 && value <= (numbers[index - 1] ?? 0),
  );
  assert.equal(disorder, -1, `the ${what} log never repeats or reorders a line`);
  // From the oldest line kept: a long flood rotates its oldest files away (50 MB by default).
  const first = numbers[0] ?? 1;
  const gaps = numbers.filter(
    (value, index) => index > 0 && value !== (numbers[index - 1] ?? 0) + 1,
  ).length;
  const lost = (numbers.at(-1) ?? 0) - first + 1 - numbers.length;
  assert.ok(gaps <= kills, `${what}: ${gaps} gaps over ${kills} kills`);
  t.diagnostic(
    `${what}: ${numbers.length} lines from ${first}, ${lost} lost in ${gaps} chunk(s) over ${kills} kills`,
  );
}

/** Stops a program through the CLI, so that its output has all been read to the end. */
async function stopAndReadLog(tend: TendUnderTest, name: string): Promise<number[]> {
  await tend.ok(['stop', name]);
  return loggedNumbers(tend.home, name);
}

test('after kill -9 the watcher brings the daemon back, which adopts every process with its pid and loses no line', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '3')]);
  await tend.ok(['start', '--name', 'flood', '--', ...fixture('counter', '1', '50')]);
  const before = { tick: await pidsOf(tend, 'tick'), flood: await pidsOf(tend, 'flood') };
  const first = await health(tend);
  assert.ok(first);
  const watcher = watcherOf(first.pid);
  assert.ok(watcher !== undefined, 'a background daemon runs under its watcher');

  const back = await killDaemon(tend);
  assert.equal(watcherOf(back.pid), watcher, 'the same watcher started the next daemon');
  assert.deepEqual(await pidsOf(tend, 'tick'), before.tick, 'tick kept its pid');
  assert.deepEqual(await pidsOf(tend, 'flood'), before.flood, 'flood kept its pid');
  assert.equal(back.recovery?.after, 'crash');
  assert.equal(back.recovery?.how, 'killed by SIGKILL');
  assert.equal(back.recovery?.adopted, 2);
  assert.equal(back.recovery?.gone, 0);
  const status = await tend.ok(['status']);
  assert.match(
    status,
    /the daemon restarted after a crash at .* \(killed by SIGKILL\); 2 processes adopted/,
  );

  // Lines written after the return are captured too; then every number is there once, in order.
  const program = await tend.program('tick');
  assert.equal(program.instances[0]?.restarts, 0);
  assertEveryNumberOnce(await stopAndReadLog(tend, 'tick'), 'tick');
  assertAtMostAChunkLostPerKill(t, 'flood', await stopAndReadLog(tend, 'flood'), 1);
});

/** One GET through the proxy on a keep-alive agent; resolves to the status (0: no answer). */
function get(port: number, agent: Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

test('a pool behind its proxy serves a steady load across kill -9 of the daemon: no failed request, same proxy pid', async (t) => {
  const tend = useTend(t);
  const { proxyPort, detail: before } = await startPool(tend, 'web', {
    instances: 2,
    fixture: ['http-log'],
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  t.after(() => agent.destroy());
  const statuses: number[] = [];
  let isLoading = true;
  // A failed assertion must not leave the load running: the test process would never end.
  t.after(() => {
    isLoading = false;
  });
  const load = (async () => {
    while (isLoading) {
      statuses.push(await get(proxyPort, agent));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await killDaemon(tend);
  const after = await untilProxyFed(tend, 'web', 2);
  await new Promise((resolve) => setTimeout(resolve, 300));
  isLoading = false;
  await load;
  assert.equal(after.proxy?.pid, before.proxy?.pid, 'the proxy kept its pid');
  assert.deepEqual(
    after.instances.map((instance) => instance.pid),
    before.instances.map((instance) => instance.pid),
  );
  const failed = statuses.filter((status) => status !== 200);
  assert.ok(statuses.length > 50, `a steady load ran (${statuses.length} requests)`);
  assert.deepEqual(failed, [], `${failed.length} of ${statuses.length} requests failed`);
  // Every request was logged by the instance that served it, across the gap.
  const logged = ['0', '1']
    .flatMap((index) =>
      readFileSync(join(tend.home, 'logs', 'web', `${index}.out.log`), 'utf8').split('\n'),
    )
    .filter((line) => line.includes(' served GET '));
  assert.equal(logged.length, statuses.length, 'each request has its line in the logs');
});

test('an adopted instance that exits is noticed and restarted, its exit recorded as unknown when PID 1 reaped it first', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '5')]);
  const [pid] = await pidsOf(tend, 'tick');
  assert.ok(pid);
  await killDaemon(tend);
  assert.deepEqual(await pidsOf(tend, 'tick'), [pid]);
  const killedAt = Date.now();
  process.kill(pid, 'SIGTERM');
  const detail = await tend.until('the adopted instance to be restarted', async () => {
    const program = await tend.program('tick');
    const instance = program.instances[0];
    return instance?.pid !== pid && instance?.status === 'online' ? instance : undefined;
  });
  assert.ok(Date.now() - killedAt < 2_000, 'noticed and restarted quickly');
  assert.equal(detail.restarts, 1);
  const exit = detail.exits.at(-1);
  assert.ok(exit);
  // The daemon is not its parent: the signal is known if the zombie was seen, else nothing is invented.
  assert.ok(
    exit.signal === 'SIGTERM' || (exit.signal === null && exit.code === null),
    `exit recorded as ${JSON.stringify(exit)}`,
  );
  assert.equal(isProcessAlive(pid), false);
});

test('tend daemon reload hands over to a new daemon: same pids, no line lost, both versions printed', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '2')]);
  const pids = await pidsOf(tend, 'tick');
  const old = await health(tend);
  assert.ok(old);
  // Asks the API all along; the longest stretch without an answer is the gap of the hand-over.
  let isAsking = true;
  let lastAnswer = Date.now();
  let longestGapMs = 0;
  const asking = (async () => {
    while (isAsking) {
      if ((await health(tend)) !== undefined) {
        longestGapMs = Math.max(longestGapMs, Date.now() - lastAnswer);
        lastAnswer = Date.now();
      } else await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  const out = await tend.ok(['daemon', 'reload']);
  isAsking = false;
  await asking;
  assert.ok(
    longestGapMs <= RELOAD_GAP_MS,
    `the API was away for ${longestGapMs} ms (at most ${RELOAD_GAP_MS} ms)`,
  );
  t.diagnostic(`the API was away for at most ${longestGapMs} ms during the reload`);
  assert.match(
    out,
    new RegExp(
      `version ${old.version} \\(pid ${old.pid}\\) → version \\S+ \\(pid \\d+\\), in \\d+(\\.\\d+)?(ms|s); no program was restarted`,
    ),
  );
  const now = await health(tend);
  // Seen once in a loaded full run (not reproduced in 10 runs side by side): say what answered.
  assert.ok(
    now && now.pid !== old.pid,
    `right after the reload the socket answered ${JSON.stringify(now ?? null)} (old pid ${old.pid})`,
  );
  assert.equal(now.recovery?.after, 'reload');
  assert.equal(now.recovery?.adopted, 1);
  assert.deepEqual(await pidsOf(tend, 'tick'), pids);
  const again = await tend.ok(['update']);
  assert.match(again, /The daemon was reloaded/);
  assert.deepEqual(await pidsOf(tend, 'tick'), pids);
  assertEveryNumberOnce(await stopAndReadLog(tend, 'tick'), 'tick');
  // A requested stop ends the watcher too: nothing comes back.
  const last = await health(tend);
  const watcher = last && watcherOf(last.pid);
  assert.ok(watcher !== undefined);
  await tend.ok(['daemon', 'stop']);
  await pollUntil('the watcher to exit', async () => !isProcessAlive(watcher));
  assert.equal(await health(tend), undefined, 'no daemon came back');
});

/** Kills in quick succession are a crash loop, which the watcher paces; here every kill counts alone. */
const UNPACED = { TEND_WATCHER_STABLE_SECONDS: '0' };

test(`the daemon killed ${KILLS} times at random moments under load: no process lost or duplicated, no line repeated, no zombie counted, state never corrupt`, async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '2')], { env: UNPACED });
  await tend.ok(['start', '--name', 'flood', '--', ...fixture('counter', '1', '50')]);
  await tend.ok(['start', '--name', 'pool', '--instances', '3', '--', ...fixture('forever')]);
  const { proxyPort, detail: webBefore } = await startPool(tend, 'web', {
    instances: 2,
    fixture: ['http-log'],
  });
  const pids = {
    tick: await pidsOf(tend, 'tick'),
    flood: await pidsOf(tend, 'flood'),
    pool: await pidsOf(tend, 'pool'),
    web: webBefore.instances.map((instance) => instance.pid),
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  t.after(() => agent.destroy());
  const statuses: number[] = [];
  let isLoading = true;
  // A failed assertion must not leave the load running: the test process would never end.
  t.after(() => {
    isLoading = false;
  });
  const load = (async () => {
    while (isLoading) {
      statuses.push(await get(proxyPort, agent));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  const cycleMs: number[] = [];
  const scales: Promise<unknown>[] = [];
  for (let kill = 0; kill < KILLS; kill++) {
    const began = Date.now();
    if (kill % 3 === 1) {
      // During a scale: killed once the scale shows (a spawn or a stop, and its state write, under
      // way), or once the command has returned (it may have reached a daemon on its way down).
      const size = (await tend.program('pool')).instances.length;
      const to = size >= 4 ? 3 : 4;
      // A scale that finds no daemon starts one under a watcher of its own: unpaced too.
      const scaling = tend.run(['scale', 'pool', String(to)], { env: UNPACED });
      scales.push(scaling);
      const shown = tend.until('the scale under way', async () => {
        const pool = await tend.program('pool');
        return pool.instances.length === to || pool.instances.some((i) => i.status !== 'online');
      });
      // Whichever comes first; the other may end with the daemon it was talking to.
      shown.catch(() => undefined);
      await Promise.race([scaling, shown]);
    } else {
      // Any moment of the flood, often the start-up of the daemon just back (adoption, its first state write).
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 100)));
    }
    await killDaemon(tend);
    const state = JSON.parse(readFileSync(join(tend.home, 'state.json'), 'utf8'));
    assert.equal(state.version, 1, 'the state file parses');
    cycleMs.push(Date.now() - began);
  }
  cycleMs.sort((a, b) => a - b);
  t.diagnostic(
    `${KILLS} kills: a cycle (kill to a new daemon answering) took ${cycleMs[0]}–${cycleMs.at(-1)} ms, median ${cycleMs[Math.floor(KILLS / 2)]} ms`,
  );
  await untilProxyFed(tend, 'web', 2);
  isLoading = false;
  await load;
  // A scale whose daemon was killed under it starts a daemon of its own (which loses the home's
  // lock to the watcher's) and then goes on with the winner: it must be over before the last scale.
  await Promise.all(scales);
  await tend.ok(['scale', 'pool', '3']);
  assert.deepEqual(await pidsOf(tend, 'tick'), pids.tick, 'tick never restarted');
  assert.deepEqual(await pidsOf(tend, 'flood'), pids.flood, 'flood never restarted');
  assert.deepEqual(await pidsOf(tend, 'pool'), pids.pool, 'the pool kept its first three pids');
  const web = await tend.program('web');
  assert.deepEqual(
    web.instances.map((instance) => instance.pid),
    pids.web,
  );
  assert.equal(web.proxy?.pid, webBefore.proxy?.pid, 'the proxy kept its pid');
  const failed = statuses.filter((status) => status !== 200);
  assert.deepEqual(
    failed,
    [],
    `${failed.length} of ${statuses.length} requests through the proxy failed`,
  );
  const expected = [...pids.tick, ...pids.flood, ...pids.pool, ...pids.web, web.proxy?.pid ?? null];
  for (const pid of expected) {
    assert.ok(pid !== null && procState(pid) !== 'Z' && isProcessAlive(pid), `${pid} runs`);
  }
  // No duplicate and no orphan: the live processes of this home are exactly these, the daemon, its
  // watcher and one output holder (each daemon replaces the holders a killed one left, a second in).
  const daemon = tend.daemonPid() ?? 0;
  const liveOfHome = () =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry) && isProcessAlive(Number(entry)))
      .filter((entry) => {
        try {
          return readFileSync(`/proc/${entry}/environ`, 'utf8').includes(`TEND_HOME=${tend.home}`);
        } catch {
          return false;
        }
      })
      .map(Number)
      .filter((pid) => pid !== daemon && pid !== watcherOf(daemon) && !holders().includes(pid));
  const holders = () => outputHoldersOf(tend.home);
  // The daemon a killed scale started, and its watcher, exit by themselves once they lost the lock.
  const live = await pollUntil(
    'only the expected processes of the home',
    async () => {
      const now = liveOfHome();
      return now.every((pid) => expected.includes(pid)) && holders().length === 1 ? now : undefined;
    },
    5_000,
  ).catch(() => liveOfHome());
  const extra = live.filter((pid) => !expected.includes(pid));
  assert.deepEqual(
    extra.map(
      (pid) => `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`,
    ),
    [],
    `no managed process duplicated or left over (daemon ${daemon})`,
  );
  assert.equal(live.length, expected.length);
  assert.equal(holders().length, 1, `one output holder is left: ${holders().join(', ')}`);
  assertAtMostAChunkLostPerKill(t, 'tick', await stopAndReadLog(tend, 'tick'), KILLS);
  assertAtMostAChunkLostPerKill(t, 'flood', await stopAndReadLog(tend, 'flood'), KILLS);
});

test('the watcher killed: the daemon notices, hands over to a daemon under a new watcher, and a crash after that still comes back', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '5')]);
  const pids = await pidsOf(tend, 'tick');
  const first = await health(tend);
  assert.ok(first);
  const watcher = watcherOf(first.pid);
  assert.ok(watcher !== undefined);
  process.kill(watcher, 'SIGKILL');
  const next = await pollUntil(
    'a daemon under a new watcher',
    async () => {
      const now = await health(tend);
      return now !== undefined && now.pid !== first.pid ? now : undefined;
    },
    30_000,
  );
  const newWatcher = watcherOf(next.pid);
  assert.ok(newWatcher !== undefined && newWatcher !== watcher, 'a new watcher is its parent');
  assert.equal(next.recovery?.after, 'reload');
  assert.deepEqual(await pidsOf(tend, 'tick'), pids);
  const back = await killDaemon(tend);
  assert.equal(watcherOf(back.pid), newWatcher);
  assert.deepEqual(await pidsOf(tend, 'tick'), pids);
  // The hand-over loses nothing; the kill -9 after it may lose the one chunk it had read (docs/architecture.md).
  assertAtMostAChunkLostPerKill(t, 'tick', await stopAndReadLog(tend, 'tick'), 1);
});

test('a crash loop of the daemon is paced and reported: a second crash soon after the first waits a second', async (t) => {
  const tend = useTend(t);
  await tend.ok(['start', '--name', 'tick', '--', ...fixture('counter', '5')]);
  const first = await killDaemon(tend);
  assert.equal(first.recovery?.crashesInARow, 1);
  const killedAt = Date.now();
  const second = await killDaemon(tend);
  assert.ok(Date.now() - killedAt >= 1_000, 'the second start waited at least 1 s');
  assert.equal(second.recovery?.crashesInARow, 2);
  assert.match(await tend.ok(['status']), /2 crashes in a row, restarts paced/);
  assert.match(
    readFileSync(join(tend.home, 'daemon.out'), 'utf8'),
    /\(2 in a row\); starting it again in 1s/,
  );
});
