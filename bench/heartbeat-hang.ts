/**
 * Issue 8, hang detection for a heartbeat program: a worker under `--ready-on notify --watchdog 2s`
 * freezes (SIGUSR2 → a busy loop, so its heartbeats stop); timed from the freeze to the
 * `instance.ready` of its replacement on GET /v1/events. Target per round: ≤ watchdog + the
 * replacement's own start time (its spawn → READY=1) + 100 ms. PM2 has no heartbeat watchdog:
 * the same worker frozen under PM2 is checked to still be "online", same pid, after as long.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { EventStreamClient, type ReceivedEvent } from './lib/event-stream.js';
import { formatMs, formatTable } from './lib/format.js';
import { progress, runIfMain } from './lib/main.js';
import { isTendAvailable } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath } from './lib/paths.js';
import { Pm2Manager } from './lib/pm2.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median } from './lib/stats.js';
import { formatTargetTable } from './lib/target-table.js';
import { TendManager } from './lib/tend.js';

const WATCHDOG_MS = 2_000;
const SLACK_MS = 100;
const NAME = 'beating';
const EVENT_TIMEOUT_MS = 15_000;

interface Round {
  /** Freeze → the replacement's instance.ready, read from the socket. */
  totalMs: number;
  /** Freeze → the frozen process's instance.exited. */
  detectedMs: number;
  /** The replacement's spawn → its instance.ready (its own start time). */
  startMs: number;
  reason: string;
}

/** Freezes a heartbeat worker under tend (and PM2) and times until a fresh instance is ready. */
export async function runHeartbeatHang(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.isQuick ? 3 : 10;
  if (!isTendAvailable()) throw new Error('tend is not built: nothing to measure');
  const command = { command: process.execPath, args: [fixturePath('heartbeat-worker')] };
  const tend = new TendManager();
  await tend.ensureDaemon();
  const events = await EventStreamClient.open(join(tend.home, 'tend.sock'));
  const results: Round[] = [];
  try {
    const started = await tend.start({
      name: NAME,
      ...command,
      extraFlags: { tend: ['--ready-on', 'notify', '--watchdog', `${WATCHDOG_MS}ms`] },
    });
    if (started.code !== 0) throw new Error(`tend start failed: ${started.stderr}`);
    let pid = await currentPid(tend);
    progress(`${rounds} rounds: freeze the worker, wait for a fresh ready instance`);
    for (let round = 0; round < rounds; round++) {
      // Let it beat for a while, so that the freeze lands at a random point between two heartbeats.
      await delay(300 + Math.random() * 200);
      const exited = events.next(
        (event) => isEvent(event, 'instance.exited', pid),
        EVENT_TIMEOUT_MS,
      );
      const spawned = events.next(
        (event) =>
          event.name === 'instance.spawned' &&
          event.data.program === NAME &&
          event.data.pid !== pid,
        EVENT_TIMEOUT_MS,
      );
      const ready = events.next(
        (event) =>
          event.name === 'instance.ready' && event.data.program === NAME && event.data.pid !== pid,
        EVENT_TIMEOUT_MS,
      );
      const frozenAt = performance.now();
      process.kill(pid, 'SIGUSR2');
      const [exit, spawn, fresh] = await Promise.all([exited, spawned, ready]);
      results.push({
        totalMs: fresh.receivedAt - frozenAt,
        detectedMs: exit.receivedAt - frozenAt,
        startMs: fresh.receivedAt - spawn.receivedAt,
        reason: String(exit.data.reason),
      });
      pid = Number(fresh.data.pid);
    }
  } finally {
    events.close();
  }
  const pm2Note = await checkPm2(command);

  const over = results.filter((round) => round.totalMs > WATCHDOG_MS + round.startMs + SLACK_MS);
  const totals = results.map((round) => round.totalMs);
  const starts = results.map((round) => round.startMs);
  const worst = Math.max(...results.map((round) => round.totalMs - round.startMs - WATCHDOG_MS));
  const target = checkTarget(
    `heartbeat hang (--watchdog 2s): freeze → fresh instance ready ≤ watchdog + its start + ${SLACK_MS} ms, every round`,
    worst,
    () => over.length === 0,
    `median ${formatMs(median(totals))} (start ${formatMs(median(starts))}); worst overshoot ${formatMs(worst)} past watchdog + start; ${over.length}/${results.length} over`,
  );
  const report = [
    `## Heartbeat hang: \`--watchdog 2s\`, freeze → fresh instance ready (${results.length} rounds)`,
    '',
    formatTable(
      ['round', 'freeze → exit', 'replacement start', 'freeze → ready', 'bound'],
      results.map((round, index) => [
        String(index + 1),
        formatMs(round.detectedMs),
        formatMs(round.startMs),
        formatMs(round.totalMs),
        formatMs(WATCHDOG_MS + round.startMs + SLACK_MS),
      ]),
    ),
    '',
    `The worker (bench/fixtures/heartbeat-worker.ts) sends WATCHDOG=1 every 200 ms; SIGUSR2 makes it spin`,
    'without yielding. The watchdog counts from the last heartbeat, which came 0–200 ms before the',
    'freeze, so detection lands 1.8–2.0 s after it. The exit reason read: ',
    `\`${results[0]?.reason ?? '—'}\`.`,
    `PM2: ${pm2Note}`,
    '',
    formatTargetTable([target]),
  ].join('\n');
  console.log(`${report}\n`);
  return { name: 'heartbeat-hang', report, targets: [target] };
}

function isEvent(event: ReceivedEvent, name: string, pid: number): boolean {
  return event.name === name && event.data.program === NAME && event.data.pid === pid;
}

async function currentPid(tend: TendManager): Promise<number> {
  const [instance] = (await tend.list()).filter((row) => row.name === NAME);
  if (!instance?.pid || instance.status !== 'online') {
    throw new Error(`${NAME} is not online under tend: ${JSON.stringify(instance)}`);
  }
  return instance.pid;
}

/** The same freeze under PM2, which has no heartbeat watchdog: is it still "online" after as long? */
async function checkPm2(command: { command: string; args: string[] }): Promise<string> {
  const pm2 = new Pm2Manager();
  try {
    await pm2.ensureDaemon();
    await pm2.start({ name: NAME, ...command });
    await delay(1_000);
    const [before] = await pm2.list();
    if (!before?.pid) return 'could not start the worker';
    process.kill(before.pid, 'SIGUSR2');
    await delay(WATCHDOG_MS * 2);
    const [after] = await pm2.list();
    return after?.pid === before.pid && after.status === 'online'
      ? `no equivalent: the frozen worker was still "online" with the same pid and ${after.restarts} restarts ${(WATCHDOG_MS * 2) / 1000} s after the freeze (PM2 watches exits and, every 30 s, memory only).`
      : `the worker's state changed: ${JSON.stringify(after)}`;
  } catch (error) {
    return `not measured (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await pm2.shutdown();
  }
}

runIfMain(import.meta.url, runHeartbeatHang);
