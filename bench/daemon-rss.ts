/**
 * Benchmark 2: resident memory of the daemon (tend's daemon, PM2's God daemon) with 10 and then
 * 100 idle programs managed. Helper processes (anything the manager runs besides its daemon and
 * the programs: tend's watcher, `bin/tend-watcher.sh`, which is the daemon's parent; its output
 * holder, `tend-output-holder infinity`; any proxy)
 * are counted too, so that memory moved into a helper is not hidden: every process that carries
 * the manager's home in its environment (TEND_HOME, PM2_HOME) or descends from the daemon.
 * Beside them, a floor: a plain node process running the libraries the daemon runs on (fastify
 * on a Unix socket, zod, prom-client, pino), bundled and loaded as the daemon is, idle
 * (bench/fixtures/library-floor.ts): what any daemon built on them costs before its own code.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { formatKib, formatRatio, formatTable } from './lib/format.js';
import { awaitAllOnline, IDLE_COMMAND } from './lib/idle.js';
import { type LibraryFloor, startLibraryFloor } from './lib/library-floor.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { descendantsOf, isAlive, listProcesses, pidsWithEnv, readRssKib } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median, ratio } from './lib/stats.js';

/** 0 is the daemon at rest, for reference; the targets are for 10 and 100. */
const PROGRAM_COUNTS = [0, 10, 100] as const;
/** Issue 9's targets, helpers counted on both sides. */
const TARGET_RATIO_TO_PM2: Readonly<Record<number, number>> = { 10: 0.85, 100: 0.7 };
const RSS_SAMPLES = 10;
const RSS_SAMPLE_INTERVAL_MS = 200;

interface RssFigures {
  daemonKib: number;
  helpersKib: number;
  helperCount: number;
}

/** Measures daemon RSS of each manager with 10 and 100 idle programs. */
export async function runDaemonRss(options: BenchOptions): Promise<BenchResult> {
  // Idle means settled: 10 s after the last start, for every manager alike (tend releases a
  // burst's memory once its API has been quiet for 5 s; PM2's daemon is sampled as long after).
  const settleMs = options.isQuick ? 1000 : 10_000;
  return withManagers(async (managers) => {
    progress(
      `${PROGRAM_COUNTS.join(', then ')} idle programs under ${managers.map((m) => m.label).join(' and ')}`,
    );
    const floorRun = attempt('library floor', startLibraryFloor);
    const outcomes = await Promise.all(
      managers.map((manager) =>
        attempt(manager.label, () => measureManager(manager, settleMs, options.isQuick)),
      ),
    );
    const floorKib = await measureFloor(await floorRun);
    const figures = new Map<string, Map<number, RssFigures>>();
    const failures: string[] = [];
    managers.forEach((manager, index) => {
      const outcome = outcomes[index];
      if (outcome instanceof Error) failures.push(`${manager.label}: ${oneLine(outcome)}`);
      else if (outcome) figures.set(manager.label, outcome);
    });

    const rows: string[][] = [];
    const targets = [];
    for (const count of PROGRAM_COUNTS) {
      const pm2 = figures.get('pm2')?.get(count);
      const tend = figures.get('tend')?.get(count);
      for (const [label, value] of [
        ['tend', tend],
        ['pm2', pm2],
      ] as const) {
        if (!value) continue;
        rows.push([
          String(count),
          label,
          formatKib(value.daemonKib),
          `${formatKib(value.helpersKib)} (${value.helperCount})`,
          formatKib(value.daemonKib + value.helpersKib),
          label === 'tend'
            ? formatRatio(ratio(value.daemonKib + value.helpersKib, totalKib(pm2)))
            : '1.00×',
          formatRatio(ratio(value.daemonKib + value.helpersKib, floorKib)),
        ]);
      }
      rows.push([
        String(count),
        'library floor',
        formatKib(floorKib),
        '—',
        formatKib(floorKib),
        formatRatio(ratio(floorKib, totalKib(pm2))),
        '1.00×',
      ]);
      if (count === 0) continue;
      const tendRatio = ratio(totalKib(tend), totalKib(pm2));
      const bound = TARGET_RATIO_TO_PM2[count] ?? Number.NaN;
      targets.push(
        checkTarget(
          `tend daemon + helpers RSS ≤ ${bound}× PM2's, ${count} programs`,
          tendRatio,
          (value) => value <= bound,
          `${formatRatio(tendRatio)} (${formatKib(totalKib(tend))} vs ${formatKib(totalKib(pm2))}, helpers included)`,
        ),
      );
    }
    const report = [
      `## 2. Daemon RSS with idle programs (\`${IDLE_COMMAND.command} ${IDLE_COMMAND.args.join(' ')}\`)`,
      '',
      formatTable(
        [
          'programs',
          'manager',
          'daemon RSS',
          'helpers RSS (n)',
          'total',
          'total ÷ pm2',
          'total ÷ floor',
        ],
        rows,
      ),
      '',
      "library floor: node running fastify (routes on a Unix socket, the daemon's options), zod, prom-client and pino, bundled and loaded through a code cache as the daemon is, idle, no programs (bench/fixtures/library-floor.ts)",
      options.isQuick
        ? 'quick run: the last 90 programs are one program with 90 instances'
        : 'every program started with its own CLI call',
      `median of ${RSS_SAMPLES} samples, ${settleMs} ms after all were online`,
      ...failures.map((failure) => `not measured: ${failure}`),
    ].join('\n');
    console.log(`${report}\n`);
    return { name: 'daemon-rss', report, targets };
  });
}

/** The library floor's RSS (median of the samples), then stops it; NaN when it did not start. */
async function measureFloor(floor: LibraryFloor | Error): Promise<number> {
  if (floor instanceof Error) return Number.NaN;
  try {
    const samples: number[] = [];
    for (let sample = 0; sample < RSS_SAMPLES; sample++) {
      samples.push(readRssKib(floor.pid));
      await delay(RSS_SAMPLE_INTERVAL_MS);
    }
    return median(samples);
  } finally {
    await floor.stop();
  }
}

function totalKib(figures: RssFigures | undefined): number {
  return figures ? figures.daemonKib + figures.helpersKib : Number.NaN;
}

async function measureManager(
  manager: ProcessManager,
  settleMs: number,
  isQuick: boolean,
): Promise<Map<number, RssFigures>> {
  await manager.ensureDaemon();
  const daemonPid = await manager.daemonPid();
  const figures = new Map<number, RssFigures>();
  let started = 0;
  for (const count of PROGRAM_COUNTS) {
    if (isQuick && started > 0) {
      await manager.start({ name: 'idle-rest', ...IDLE_COMMAND, instances: count - started });
      started = count;
    }
    for (; started < count; started++)
      await manager.start({ name: `idle-${started}`, ...IDLE_COMMAND });
    await awaitAllOnline(manager, count, 120_000);
    progress(`${manager.label}: ${count} online`);
    await delay(settleMs);
    const managedPids = (await manager.list()).flatMap((instance) =>
      instance.pid ? [instance.pid] : [],
    );
    const homeVariable = manager.label === 'tend' ? 'TEND_HOME' : 'PM2_HOME';
    figures.set(
      count,
      await sampleRss(daemonPid, managedPids, { homeVariable, home: manager.home }),
    );
  }
  return figures;
}

async function sampleRss(
  daemonPid: number,
  managedPids: readonly number[],
  where: { homeVariable: string; home: string },
): Promise<RssFigures> {
  const processes = listProcesses();
  const managed = new Set(managedPids);
  for (const pid of managedPids)
    for (const info of descendantsOf(pid, processes)) managed.add(info.pid);
  const daemon: number[] = [];
  const helpers: number[] = [];
  let helperCount = 0;
  for (let sample = 0; sample < RSS_SAMPLES; sample++) {
    daemon.push(readRssKib(daemonPid));
    const candidates = new Set([
      ...descendantsOf(daemonPid).map((info) => info.pid),
      ...pidsWithEnv(where.homeVariable, where.home),
    ]);
    const helperPids = [...candidates].filter(
      (pid) => pid !== daemonPid && !managed.has(pid) && isAlive(pid),
    );
    helperCount = helperPids.length;
    helpers.push(helperPids.reduce((sum, pid) => sum + (readRssKib(pid) || 0), 0));
    await delay(RSS_SAMPLE_INTERVAL_MS);
  }
  return { daemonKib: median(daemon), helpersKib: median(helpers), helperCount };
}

runIfMain(import.meta.url, runDaemonRss);
