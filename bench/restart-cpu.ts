/**
 * Benchmark: the daemon's CPU per restart of an instance (issue 9, "Cost less"). Ten instances
 * of a program that exits with code 1 after 1.05 s run under tend and under PM2 at the same
 * time, so both restart them at once (the run was longer than both managers' minimum uptime of
 * 1 s) about ten times a second each. Over each window the daemon's own CPU (utime + stime of
 * tend's daemon, of PM2's God daemon, from /proc) is divided by the restarts the manager counted.
 * The chaos benchmark (bench/chaos-availability.ts) gives the same ratio under HTTP load, with a
 * proxy and far more noise; this one isolates the restart path.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { processCpuMs } from './lib/cpu-time.js';
import { formatRatio, formatTable } from './lib/format.js';
import { awaitAllOnline } from './lib/idle.js';
import { attempt, progress, runIfMain } from './lib/main.js';
import type { ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median, ratio } from './lib/stats.js';

const INSTANCES = 10;
/** Exits 1 after 1.05 s: past both managers' minimum uptime, so each restarts it at once. */
const CHURN_COMMAND = { command: 'sh', args: ['-c', 'sleep 1.05; exit 1'] } as const;
const NAME = 'churn';
const WARM_UP_MS = 4000;

/** One window's figures for one manager. */
interface Window {
  cpuMs: number;
  restarts: number;
}

/** Measures the daemon CPU per restart of tend and PM2, side by side in the same windows. */
export async function runRestartCpu(options: BenchOptions): Promise<BenchResult> {
  const windows = options.isQuick ? 1 : 4;
  const windowMs = options.isQuick ? 6000 : 15_000;
  return withManagers(async (managers) => {
    progress(`${INSTANCES} instances of \`sh -c 'sleep 1.05; exit 1'\` under each manager at once`);
    for (const manager of managers) {
      await manager.ensureDaemon();
      // `tend start` would wait, see the first exits and fail the command: they are the point here.
      await manager.start({
        name: NAME,
        ...CHURN_COMMAND,
        instances: INSTANCES,
        extraFlags: { tend: ['--no-wait'] },
      });
    }
    await Promise.all(managers.map((manager) => awaitAllOnline(manager, INSTANCES)));
    await delay(WARM_UP_MS);
    const daemonPids = await Promise.all(managers.map((manager) => manager.daemonPid()));
    const measured = new Map<string, Window[]>(managers.map((manager) => [manager.label, []]));
    for (let round = 0; round < windows; round++) {
      // Listing costs the daemon CPU too: restarts are read outside the CPU window.
      const restartsBefore = await Promise.all(managers.map((manager) => countRestarts(manager)));
      const cpuBefore = daemonPids.map((pid) => processCpuMs(pid));
      await delay(windowMs);
      const cpuAfter = daemonPids.map((pid) => processCpuMs(pid));
      const restartsAfter = await Promise.all(managers.map((manager) => countRestarts(manager)));
      managers.forEach((manager, index) => {
        const before = restartsBefore[index];
        const after = restartsAfter[index];
        if (before === undefined || after === undefined) return;
        if (before instanceof Error || after instanceof Error) return;
        measured.get(manager.label)?.push({
          cpuMs: (cpuAfter[index] ?? Number.NaN) - (cpuBefore[index] ?? Number.NaN),
          restarts: after - before,
        });
      });
      progress(`window ${round + 1} of ${windows} done`);
    }

    const perRestart = (label: string): number[] =>
      (measured.get(label) ?? []).map((window) => window.cpuMs / window.restarts);
    const tendMs = median(perRestart('tend'));
    const pm2Ms = median(perRestart('pm2'));
    const rows = managers.map((manager) => {
      const all = measured.get(manager.label) ?? [];
      const values = perRestart(manager.label);
      return [
        manager.label,
        String(all.reduce((sum, window) => sum + window.restarts, 0)),
        `${(all.reduce((sum, window) => sum + window.cpuMs, 0) / 1000).toFixed(2)} s`,
        `${median(values).toFixed(2)} ms`,
        values.map((value) => value.toFixed(2)).join(', '),
      ];
    });
    const tendRatio = ratio(tendMs, pm2Ms);
    const report = [
      '## Daemon CPU per restart (10 instances exiting after 1.05 s, both managers at once)',
      '',
      formatTable(
        ['manager', 'restarts', 'daemon CPU', 'CPU per restart (median)', 'each window (ms)'],
        rows,
      ),
      '',
      `${windows} window(s) of ${windowMs / 1000} s after ${WARM_UP_MS / 1000} s of warm-up; tend ÷ PM2: ${formatRatio(tendRatio)}`,
    ].join('\n');
    console.log(`${report}\n`);
    return {
      name: 'restart-cpu',
      report,
      targets: [
        checkTarget(
          "tend daemon CPU per restart ≤ PM2's",
          tendRatio,
          (value) => value <= 1,
          `${formatRatio(tendRatio)} (${tendMs.toFixed(2)} vs ${pm2Ms.toFixed(2)} ms)`,
        ),
      ],
    };
  });
}

async function countRestarts(manager: ProcessManager): Promise<number | Error> {
  return attempt(manager.label, async () =>
    (await manager.list())
      .filter((instance) => instance.name === NAME)
      .reduce((sum, instance) => sum + instance.restarts, 0),
  );
}

runIfMain(import.meta.url, runRestartCpu);
