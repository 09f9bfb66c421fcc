/**
 * Benchmark (issue 8): what probing costs the daemon. Its CPU, from /proc/<pid>/stat over a
 * window, with 100 HTTP instances each probed every second (liveness http), against the same
 * 100 instances without probes. Target: ≤ 5 % of one core with the probes.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePortRange } from '../test/helpers/free-ports.js';
import { processCpuMs } from './lib/cpu-time.js';
import { formatMs, formatTable } from './lib/format.js';
import { progress, runIfMain } from './lib/main.js';
import { isTendAvailable } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath } from './lib/paths.js';
import { pollUntil } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { formatTargetTable } from './lib/target-table.js';
import { TendManager } from './lib/tend.js';

const TARGET_CPU_PERCENT = 5;
const PERIOD_MS = 1000;

/** Runs the pool with probes, then without, and compares the daemon's CPU. */
export async function runProbeCost(options: BenchOptions): Promise<BenchResult> {
  const instances = options.isQuick ? 20 : 100;
  const windowMs = options.isQuick ? 5_000 : 20_000;
  if (!isTendAvailable()) throw new Error('tend is not built: nothing to measure');
  const server = fixturePath('http-server');
  const base = await findFreePortRange(instances);
  const tend = new TendManager();
  const phases: Array<{ label: string; cpuPercent: number; wallMs: number }> = [];
  try {
    await tend.ensureDaemon();
    const daemonPid = await tend.daemonPid();
    for (const isProbed of [true, false]) {
      const name = isProbed ? 'probed' : 'plain';
      progress(
        `${instances} HTTP instances ${isProbed ? 'probed every second' : 'without probes'}`,
      );
      await tend.start({
        name,
        command: process.execPath,
        args: [server],
        instances,
        extraFlags: {
          tend: [
            // 100 servers starting at once on a busy machine may take longer than 30 s.
            '--no-wait',
            '--start-timeout',
            '5m',
            '--port',
            String(base),
            ...(isProbed ? ['--liveness', 'http:/', '--liveness-period', `${PERIOD_MS}ms`] : []),
          ],
        },
      });
      await pollUntil(
        `${instances} instances online`,
        async () => {
          const rows = await tend.list();
          return rows.filter((row) => row.status === 'online').length >= instances
            ? true
            : undefined;
        },
        { intervalMs: 250, timeoutMs: 180_000 },
      );
      // Start-up work (100 spawns, their events) is over before the window opens.
      await delay(3000);
      const cpuBefore = processCpuMs(daemonPid);
      const startedAt = performance.now();
      await delay(windowMs);
      const cpuMs = processCpuMs(daemonPid) - cpuBefore;
      const wallMs = performance.now() - startedAt;
      phases.push({
        label: isProbed ? `liveness http every ${PERIOD_MS / 1000} s` : 'no probes',
        cpuPercent: (cpuMs / wallMs) * 100,
        wallMs,
      });
      await tend.delete(name);
    }
  } finally {
    await tend.shutdown();
  }
  const probed = phases[0]?.cpuPercent ?? Number.NaN;
  const plain = phases[1]?.cpuPercent ?? Number.NaN;
  const targets = [
    checkTarget(
      `daemon CPU with ${instances} instances probed every second ≤ ${TARGET_CPU_PERCENT} % of one core`,
      probed,
      (value) => value <= TARGET_CPU_PERCENT,
      `${probed.toFixed(2)} % (without probes ${plain.toFixed(2)} %)`,
    ),
  ];
  const report = [
    `## Probe cost: the daemon's CPU with ${instances} HTTP instances`,
    '',
    formatTable(
      ['probes', 'daemon CPU (one core)', 'window'],
      phases.map((phase) => [
        phase.label,
        `${phase.cpuPercent.toFixed(2)} %`,
        formatMs(phase.wallMs),
      ]),
    ),
    '',
    'PM2 has no probes, so there is no peer figure.',
    '',
    formatTargetTable(targets),
  ].join('\n');
  console.log(report);
  return { name: 'probe-cost', report, targets };
}

runIfMain(import.meta.url, runProbeCost);
