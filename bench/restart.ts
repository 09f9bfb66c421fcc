/**
 * Benchmark 3: how fast a killed HTTP program answers again. Time from `kill -9` of its process
 * to its port accepting a connection, under tend and PM2; the floor is the program's own
 * spawn-to-answer time when started directly. Rounds are interleaved.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { awaitExit, killQuietly, spawnTracked } from './lib/exec.js';
import { formatMs, formatRatio, formatSignedMs, formatTable } from './lib/format.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath } from './lib/paths.js';
import {
  awaitPortOpen,
  awaitPortReopened,
  findFreePort,
  PORT_PROBE_INTERVAL_MS,
} from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median, percentile, ratio } from './lib/stats.js';

const TARGET_OVER_FLOOR_MS = 15;
/** Both managers restart at once only a process that ran at least this long (tend and PM2 default to 1 s). */
const STABLE_UPTIME_MS = 1500;
const ANSWER_TIMEOUT_MS = 10_000;
/** A manager is left out of the later rounds after this many failed ones. */
const MAX_FAILED_ROUNDS = 3;

interface Contender {
  manager: ProcessManager;
  port: number;
  answeredAt: number;
  samples: number[];
  pidReuses: number;
  /** Setup failed: the contender is left out. */
  error?: string;
  failedRounds: string[];
}

/** Measures restart-to-answer time of a killed HTTP program under each manager against a direct spawn. */
export async function runRestart(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.isQuick ? 5 : 20;
  const server = fixturePath('http-server');
  return withManagers(async (managers) => {
    const contenders: Contender[] = [];
    for (const manager of managers) {
      const contender: Contender = {
        manager,
        port: await findFreePort(),
        answeredAt: 0,
        samples: [],
        pidReuses: 0,
        failedRounds: [],
      };
      const ready = await attempt(manager.label, async () => {
        await manager.ensureDaemon();
        await manager.start({
          name: 'web',
          command: process.execPath,
          args: [server, String(contender.port)],
        });
        contender.answeredAt = await awaitPortOpen(contender.port, ANSWER_TIMEOUT_MS);
      });
      if (ready instanceof Error) contender.error = oneLine(ready);
      contenders.push(contender);
    }

    const floorSamples: number[] = [];
    progress(`${rounds} interleaved rounds: direct spawn, then kill -9 under each manager`);
    for (let round = 0; round < rounds; round++) {
      floorSamples.push(await timeDirectSpawn(server));
      for (const contender of contenders) {
        if (contender.error || contender.failedRounds.length >= MAX_FAILED_ROUNDS) continue;
        const outcome = await attempt(contender.manager.label, () => timeRestart(contender));
        if (outcome instanceof Error) contender.failedRounds.push(oneLine(outcome));
      }
    }

    const floor = median(floorSamples);
    const rows = [
      [
        'direct spawn (floor)',
        formatMs(floor),
        formatMs(percentile(floorSamples, 90)),
        '—',
        '1.00×',
        String(floorSamples.length),
      ],
    ];
    const targets = [];
    const notes: string[] = [];
    for (const contender of contenders) {
      const value = median(contender.samples);
      rows.push([
        `${contender.manager.label} restart`,
        formatMs(value),
        formatMs(percentile(contender.samples, 90)),
        formatSignedMs(value - floor),
        formatRatio(ratio(value, floor)),
        String(contender.samples.length),
      ]);
      if (contender.error)
        notes.push(`${contender.manager.label}: not measured: ${contender.error}`);
      for (const failure of contender.failedRounds) {
        notes.push(`${contender.manager.label}: a round failed: ${failure}`);
      }
      if (contender.pidReuses > 0)
        notes.push(
          `${contender.manager.label}: ${contender.pidReuses} answers came from the old pid`,
        );
      if (contender.manager.label === 'tend') {
        targets.push(
          checkTarget(
            `tend restart within ${TARGET_OVER_FLOOR_MS} ms of the floor`,
            value - floor,
            (over) => over <= TARGET_OVER_FLOOR_MS,
            `${formatSignedMs(value - floor)} (pm2 ${formatSignedMs(median(contenders.find((c) => c.manager.label === 'pm2')?.samples ?? []) - floor)})`,
          ),
        );
      }
    }
    const report = [
      `## 3. Restart: kill -9 to port answering again (${rounds} rounds, interleaved)`,
      '',
      formatTable(['what', 'median', 'p90', '− floor', '÷ floor', 'runs'], rows),
      '',
      `a stable uptime of ≥ ${STABLE_UPTIME_MS} ms before each kill; the probe tries a connect to 127.0.0.1 every ${PORT_PROBE_INTERVAL_MS} ms`,
      'PM2 runs the .js file as `pm2 start http-server.js` (its fork container); tend runs `node http-server.js`',
      ...notes,
    ].join('\n');
    console.log(`${report}\n`);
    return { name: 'restart', report, targets };
  });
}

async function timeDirectSpawn(server: string): Promise<number> {
  const port = await findFreePort();
  const startedAt = performance.now();
  const child = spawnTracked(process.execPath, [server, String(port)]);
  const answeredAt = await awaitPortOpen(port, ANSWER_TIMEOUT_MS);
  if (child.pid !== undefined) killQuietly(child.pid, 'SIGKILL');
  await awaitExit(child);
  return answeredAt - startedAt;
}

async function timeRestart(contender: Contender): Promise<void> {
  const [instance] = await contender.manager.list();
  if (!instance?.pid) throw new Error(`no running instance (status ${instance?.status ?? 'none'})`);
  const stableFor = performance.now() - contender.answeredAt;
  if (stableFor < STABLE_UPTIME_MS) await delay(STABLE_UPTIME_MS - stableFor);
  const killedAt = performance.now();
  process.kill(instance.pid, 'SIGKILL');
  contender.answeredAt = await awaitPortReopened(contender.port, ANSWER_TIMEOUT_MS);
  contender.samples.push(contender.answeredAt - killedAt);
  const [after] = await contender.manager.list();
  if (after?.pid === instance.pid) contender.pidReuses++;
}

runIfMain(import.meta.url, runRestart);
