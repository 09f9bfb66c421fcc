/**
 * Reload under load: a pool of 3 HTTP servers behind tend's proxy, and the same under PM2 cluster
 * mode, each driven by a closed-loop keep-alive GET client at 10 and at 100 connections while
 * the manager reloads the pool five times in a row (`tend reload`, `pm2 reload`). Counts every
 * request that did not end in a 2xx, and the latency percentiles over the run (which spans the
 * reloads). Target: no failed request under tend.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePortRange } from '../test/helpers/free-ports.js';
import { awaitHttpOk, awaitOnline, startPm2Apps } from './lib/chaos-pools.js';
import { onCleanup } from './lib/cleanup.js';
import { formatCount, formatMs, formatTable } from './lib/format.js';
import { countFailures, FAILURE_KINDS, type HttpLoadTally, runHttpLoad } from './lib/http-load.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath } from './lib/paths.js';
import { findFreePort } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { percentile } from './lib/stats.js';

const INSTANCES = 3;
const CONNECTION_COUNTS = [10, 100] as const;
const RELOADS = 5;
/** Load before the first reload and after the last, so the run starts and ends steady. */
const STEADY_MS = 1_000;
/** A request with no complete response after this long is a failure (`timeout`). */
const REQUEST_TIMEOUT_MS = 10_000;
/** An upper bound on one run; it ends when the fifth reload has. */
const RUN_LIMIT_MS = 10 * 60_000;

interface Side {
  label: string;
  manager: ProcessManager;
  name: string;
  port: number;
  runs: Map<number, Run>;
  notes: string[];
  error?: string;
}

interface Run {
  tally: HttpLoadTally;
  reloadMs: number[];
  runMs: number;
}

/** Runs both managers' pools through five reloads each at 10 and at 100 connections. */
export async function runReloadUnderLoad(_options: BenchOptions): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-reload-'));
  const removeDir = onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  try {
    return await withManagers(async (managers) => {
      const sides = await setUpSides(managers, dir);
      for (const connections of CONNECTION_COUNTS) {
        for (const side of sides) {
          if (side.error) continue;
          progress(`${side.label}: ${connections} connections, ${RELOADS} reloads`);
          const run = await attempt(side.label, () => drive(side, connections));
          if (run instanceof Error) side.notes.push(`${connections} connections: ${oneLine(run)}`);
          else side.runs.set(connections, run);
        }
      }
      return report(sides);
    });
  } finally {
    await removeDir.runNow();
  }
}

async function setUpSides(managers: ProcessManager[], dir: string): Promise<Side[]> {
  const server = fixturePath('http-server');
  const sides: Side[] = [];
  for (const manager of managers) {
    const side: Side = {
      label: manager.label === 'tend' ? 'tend (its proxy)' : 'PM2 cluster',
      manager,
      name: `reload-${manager.label}`,
      port: await findFreePort(),
      runs: new Map(),
      notes: [],
    };
    const ready = await attempt(side.label, async () => {
      await manager.ensureDaemon();
      if (manager.label === 'tend') {
        const basePort = await findFreePortRange(INSTANCES);
        await manager.start({
          name: side.name,
          command: process.execPath,
          args: [server],
          instances: INSTANCES,
          extraFlags: {
            tend: ['--port', String(basePort), '--proxy-port', String(side.port)],
          },
        });
      } else {
        await startPm2Apps(manager, dir, side.name, [
          {
            name: side.name,
            script: server,
            exec_mode: 'cluster',
            instances: INSTANCES,
            env: { PORT: String(side.port) },
          },
        ]);
      }
      await awaitOnline(manager, side.name, INSTANCES);
      await awaitHttpOk(side.port);
    });
    if (ready instanceof Error) side.error = oneLine(ready);
    sides.push(side);
  }
  return sides;
}

/** Starts the load, reloads RELOADS times in a row, stops the load once the last reload ended. */
async function drive(side: Side, connections: number): Promise<Run> {
  const stop = new AbortController();
  const startedAt = performance.now();
  const load = runHttpLoad({
    port: side.port,
    connections,
    durationMs: RUN_LIMIT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    signal: stop.signal,
  });
  const reloadMs: number[] = [];
  try {
    await delay(STEADY_MS);
    for (let round = 0; round < RELOADS; round++) {
      const outcome = await side.manager.reload(side.name);
      reloadMs.push(outcome.elapsedMs);
    }
    await delay(STEADY_MS);
  } finally {
    stop.abort();
  }
  const tally = await load;
  return { tally, reloadMs, runMs: performance.now() - startedAt };
}

function report(sides: Side[]): BenchResult {
  const headers = [
    'setup',
    'connections',
    'requests',
    'failed',
    'failed %',
    'p50',
    'p99',
    'max',
    'reload (median of 5)',
    'how they failed',
  ];
  const rows: string[][] = [];
  for (const side of sides) {
    for (const connections of CONNECTION_COUNTS) {
      const run = side.runs.get(connections);
      if (!run) {
        rows.push([side.label, String(connections), side.error ?? 'not measured']);
        continue;
      }
      const failed = countFailures(run.tally);
      const total = run.tally.ok + failed;
      const latencies = run.tally.okLatenciesMs;
      const how = FAILURE_KINDS.filter((kind) => run.tally.failures[kind] > 0)
        .map((kind) => `${kind} ${run.tally.failures[kind]}`)
        .join(', ');
      rows.push([
        side.label,
        String(connections),
        formatCount(total),
        formatCount(failed),
        `${((100 * failed) / Math.max(1, total)).toFixed(2)} %`,
        formatMs(percentile(latencies, 50)),
        formatMs(percentile(latencies, 99)),
        formatMs(Math.max(...latencies)),
        formatMs(percentile(run.reloadMs, 50)),
        how || '-',
      ]);
    }
  }
  const tend = sides.find((side) => side.manager.label === 'tend');
  const tendFailed = CONNECTION_COUNTS.map((connections) => {
    const run = tend?.runs.get(connections);
    return run ? countFailures(run.tally) : Number.NaN;
  });
  const worst = Math.max(...tendFailed);
  const targets = [
    checkTarget(
      `tend reload ×${RELOADS} under load: 0 failed requests (10 and 100 connections)`,
      worst,
      (value) => value === 0,
      tendFailed.map((count, index) => `${count} at ${CONNECTION_COUNTS[index]}`).join(', '),
    ),
  ];
  const notes = sides.flatMap((side) => side.notes.map((note) => `- ${side.label}: ${note}`));
  const text = [
    `## Reload under load (pool of ${INSTANCES}, ${RELOADS} reloads in a row, keep-alive GET load)`,
    '',
    formatTable(headers, rows),
    '',
    'Latency: each 2xx, send to end of body, over the whole run (1 s steady, the reloads, 1 s steady).',
    'tend: `tend reload` behind tend proxy (one instance out of rotation at a time, drained first).',
    'PM2: `pm2 reload` of cluster mode (a new worker, then the old one is disconnected).',
    ...notes,
    '',
  ].join('\n');
  console.log(text);
  return { name: 'reload-under-load', report: text, targets };
}

runIfMain(import.meta.url, runReloadUnderLoad);
