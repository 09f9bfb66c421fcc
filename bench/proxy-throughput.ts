/**
 * Benchmark 8: what a proxy costs without chaos. The chaos server with chaos off, measured with
 * wrk (10 and 100 connections) directly (one instance), through tend's HTTP proxy and tend's TCP
 * mode (3 instances each) with 1 and 2 proxy workers, through PM2 cluster mode (3 workers), and
 * through nginx with as many workers as tend's proxy (keep-alive upstreams) in front of the same
 * three instances as tend's HTTP proxy. Rounds are interleaved; medians.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePortRange } from '../test/helpers/free-ports.js';
import {
  awaitHttpOk,
  awaitOnline,
  CHAOS_SERVER,
  pm2ClusterApp,
  startPm2Apps,
  startTendPool,
} from './lib/chaos-pools.js';
import { onCleanup } from './lib/cleanup.js';
import {
  CPU_TOTAL_HEADERS,
  type CpuRole,
  cpuBetween,
  formatCpuShares,
  snapshotCpu,
} from './lib/cpu-time.js';
import { awaitExit, killQuietly, spawnTracked } from './lib/exec.js';
import { formatCount, formatMs, formatRatio, formatTable } from './lib/format.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import { findNginx, nginxVersion, startNginx } from './lib/nginx.js';
import type { BenchOptions } from './lib/options.js';
import { REPO_ROOT } from './lib/paths.js';
import { findFreePort } from './lib/probes.js';
import { type BenchResult, checkTarget, type TargetCheck } from './lib/result.js';
import { median, ratio } from './lib/stats.js';
import { INSTALL_HINT } from './lib/system-tools.js';
import { formatTargetTable } from './lib/target-table.js';
import { countWrkFailures, findWrk, runWrk, type WrkOutcome, wrkVersion } from './lib/wrk.js';

const INSTANCES = 3;
const CONNECTION_COUNTS = [10, 100] as const;
/** Proxy workers of tend's proxies, and nginx's worker_processes beside each. */
const WORKER_COUNTS = [1, 2] as const;
/** One wrk thread: on 2 cores a second one only competes with the servers and proxies. */
const WRK_THREADS = 1;
const TARGET_HTTP_VS_NGINX = 1.0;
const TARGET_TCP_VS_PM2_CLUSTER = 0.9;
const TARGET_P99_OVER_NGINX_MS = 2;

/** `direct`, `pm2-cluster`, or `tend-http`, `tend-tcp`, `nginx` with their worker count (`nginx-2`). */
type ContenderId = string;

interface Contender {
  id: ContenderId;
  label: string;
  port: number;
  roles: CpuRole[];
  /** wrk outcomes by connection count. */
  rounds: Map<number, WrkOutcome[]>;
  /** CPU ms by role, summed over the rounds, and their wall time. */
  cpu: Map<string, number>;
  notes: string[];
  error?: string;
}

/** Measures requests a second and latency through each proxy, interleaved over rounds. */
export async function runProxyThroughput(options: BenchOptions): Promise<BenchResult> {
  if (!findWrk()) throw new Error(`wrk not found: ${INSTALL_HINT}`);
  const rounds = options.isQuick ? 1 : 5;
  const durationS = options.isQuick ? 3 : 10;
  const warmUpS = options.isQuick ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'bench-throughput-'));
  const removeDir = onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  try {
    return await withManagers(async (managers) => {
      const contenders = await setUpContenders(managers, dir);
      const live = contenders.filter((contender) => !contender.error);
      progress(`warming up each for ${warmUpS} s`);
      for (const contender of live) {
        const warm = await attempt(contender.label, () => drive(contender, warmUpS, 10));
        if (warm instanceof Error) contender.error = `warm-up failed: ${oneLine(warm)}`;
      }
      progress(
        `${rounds} interleaved rounds of ${durationS} s each, ${CONNECTION_COUNTS.join(' and ')} connections`,
      );
      for (let round = 0; round < rounds; round++) {
        // Each round starts one later in the list, so that none always runs first or last.
        const order = live.map((_, index) => live[(index + round) % live.length] as Contender);
        for (const connections of CONNECTION_COUNTS) {
          for (const contender of order) {
            if (contender.error) continue;
            const cpuBefore = snapshotCpu();
            const outcome = await attempt(contender.label, () =>
              drive(contender, durationS, connections),
            );
            const cpuAfter = snapshotCpu();
            if (outcome instanceof Error) {
              contender.notes.push(`round ${round + 1}, -c${connections}: ${oneLine(outcome)}`);
              continue;
            }
            const outcomes = contender.rounds.get(connections) ?? [];
            outcomes.push(outcome);
            contender.rounds.set(connections, outcomes);
            const used = cpuBetween(cpuBefore, cpuAfter, [WRK_ROLE, ...contender.roles]);
            for (const [label, ms] of used)
              contender.cpu.set(label, (contender.cpu.get(label) ?? 0) + ms);
          }
        }
      }
      return reportResults(contenders, rounds, durationS);
    });
  } finally {
    await removeDir.runNow();
  }
}

function drive(contender: Contender, durationS: number, connections: number): Promise<WrkOutcome> {
  return runWrk({
    port: contender.port,
    connections,
    threads: WRK_THREADS,
    durationS,
  });
}

const WRK_ROLE: CpuRole = {
  label: 'wrk',
  isMember: (info) => info.cmdline.startsWith('wrk ') || info.cmdline.includes('/wrk '),
  reaperPids: [process.pid],
};

async function setUpContenders(managers: ProcessManager[], dir: string): Promise<Contender[]> {
  const tend = managers.find((manager) => manager.label === 'tend');
  const pm2 = managers.find((manager) => manager.label === 'pm2');
  const contenders: Contender[] = [];
  const add = async (
    id: ContenderId,
    label: string,
    setUp: (contender: Contender) => Promise<void>,
  ): Promise<void> => {
    const contender: Contender = {
      id,
      label,
      port: 0,
      roles: [],
      rounds: new Map(),
      cpu: new Map(),
      notes: [],
    };
    const ready = await attempt(label, () => setUp(contender));
    if (ready instanceof Error) contender.error = oneLine(ready);
    contenders.push(contender);
  };

  progress('starting the servers (chaos off): direct, tend HTTP and TCP pools, PM2 cluster, nginx');
  await add('direct', 'direct (1 instance)', async (contender) => {
    contender.port = await findFreePort();
    const child = spawnTracked(process.execPath, [CHAOS_SERVER], {
      env: { ...process.env, PORT: String(contender.port), CHAOS_RATE: '0' },
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('the direct server did not spawn');
    onCleanup(`stop the direct server ${pid}`, async () => {
      killQuietly(pid, 'SIGTERM');
      await awaitExit(child);
    });
    await awaitHttpOk(contender.port);
    contender.roles = [{ label: 'servers', isMember: (info) => info.pid === pid }];
  });
  const httpPoolBasePorts = new Map<number, number>();
  for (const workers of WORKER_COUNTS) {
    for (const mode of ['http', 'tcp'] as const) {
      const label = `tend ${mode.toUpperCase()} proxy (${plural(workers, 'worker')})`;
      await add(`tend-${mode}-${workers}`, label, async (contender) => {
        if (!tend) throw new Error('tend is not built');
        await tend.ensureDaemon();
        const basePort = await findFreePortRange(INSTANCES);
        contender.port = await findFreePort();
        const name = `tp-${mode}-${workers}`;
        await startTendPool(tend, {
          name,
          instances: INSTANCES,
          basePort,
          proxyPort: contender.port,
          proxyMode: mode,
          chaosRate: 0,
          proxyWorkers: workers,
        });
        await awaitOnline(tend, name, INSTANCES);
        await awaitHttpOk(contender.port);
        if (mode === 'http') httpPoolBasePorts.set(workers, basePort);
        contender.roles = tendRoles(await tend.daemonPid());
      });
    }
  }
  await add('pm2-cluster', `PM2 cluster (${INSTANCES} workers)`, async (contender) => {
    if (!pm2) throw new Error('PM2 is not installed');
    await pm2.ensureDaemon();
    contender.port = await findFreePort();
    await startPm2Apps(pm2, dir, 'tp-cluster', [
      pm2ClusterApp('tp-cluster', INSTANCES, contender.port, 0),
    ]);
    await awaitOnline(pm2, 'tp-cluster', INSTANCES);
    await awaitHttpOk(contender.port);
    const daemonPid = await pm2.daemonPid();
    contender.roles = [
      { label: 'manager', isMember: (info) => info.pid === daemonPid },
      { label: 'servers', isMember: (info) => info.ppid === daemonPid },
    ];
  });
  for (const workers of WORKER_COUNTS) {
    await add(`nginx-${workers}`, `nginx (${plural(workers, 'worker')})`, async (contender) => {
      if (!findNginx()) throw new Error(`nginx not found: ${INSTALL_HINT}`);
      const basePort = httpPoolBasePorts.get(workers);
      if (basePort === undefined)
        throw new Error("tend's HTTP pool, nginx's upstreams, did not start");
      const nginx = await startNginx({
        port: await findFreePort(),
        upstreamPorts: Array.from({ length: INSTANCES }, (_, index) => basePort + index),
        workers,
      });
      contender.port = nginx.port;
      await awaitHttpOk(contender.port);
      const tendDaemonPid = tend ? await tend.daemonPid() : -1;
      contender.roles = [
        {
          label: 'proxy',
          isMember: (info) => info.pid === nginx.masterPid || info.ppid === nginx.masterPid,
        },
        ...tendRoles(tendDaemonPid).filter((role) => role.label === 'servers'),
      ];
    });
  }
  return contenders;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** tend's daemon, its instances (an idle pool adds next to nothing) and its proxies (primaries and workers). */
function tendRoles(daemonPid: number): CpuRole[] {
  const proxyEntry = join(REPO_ROOT, 'dist', 'src', 'proxy', 'proxy-');
  const isProxy = (cmdline: string): boolean => cmdline.includes(proxyEntry);
  return [
    { label: 'manager', isMember: (info) => info.pid === daemonPid },
    {
      label: 'servers',
      isMember: (info) => info.ppid === daemonPid && !isProxy(info.cmdline),
    },
    { label: 'proxy', isMember: (info) => isProxy(info.cmdline) },
  ];
}

function reportResults(contenders: Contender[], rounds: number, durationS: number): BenchResult {
  const byId = (id: ContenderId): Contender | undefined =>
    contenders.find((contender) => contender.id === id && contender.rounds.size > 0);
  const outcomes = (contender: Contender | undefined, connections: number): WrkOutcome[] =>
    contender?.rounds.get(connections) ?? [];
  const rate = (contender: Contender | undefined, connections: number): number =>
    median(outcomes(contender, connections).map((round) => round.successPerSecond));
  const p99 = (contender: Contender | undefined, connections: number): number =>
    median(outcomes(contender, connections).map((round) => round.latencyMs.p99));
  const p50 = (contender: Contender | undefined, connections: number): number =>
    median(outcomes(contender, connections).map((round) => round.latencyMs.p50));
  const measured = contenders.filter((contender) => contender.rounds.size > 0);
  /** nginx with as many workers as this contender's proxy (nginx-1 for the others). */
  const nginxBeside = (contender: Contender): Contender | undefined =>
    byId(`nginx-${/-(\d+)$/.exec(contender.id)?.[1] ?? '1'}`);
  const cluster = byId('pm2-cluster');
  const tables = CONNECTION_COUNTS.flatMap((connections) => {
    const direct = byId('direct');
    const rows = measured.map((contender) => {
      const rates = outcomes(contender, connections).map((round) => round.successPerSecond);
      const failures = outcomes(contender, connections).reduce(
        (sum, round) => sum + countWrkFailures(round),
        0,
      );
      return [
        contender.label,
        formatCount(rate(contender, connections)),
        `${formatCount(Math.min(...rates))}–${formatCount(Math.max(...rates))}`,
        formatMs(p50(contender, connections)),
        formatMs(p99(contender, connections)),
        formatRatio(ratio(rate(contender, connections), rate(direct, connections))),
        formatRatio(ratio(rate(contender, connections), rate(nginxBeside(contender), connections))),
        formatRatio(ratio(rate(contender, connections), rate(cluster, connections))),
        formatCount(failures),
      ];
    });
    return [
      `wrk -t${WRK_THREADS} -c${connections}:`,
      '',
      formatTable(
        [
          'through',
          'req/s',
          'range',
          'p50',
          'p99',
          '÷ direct',
          '÷ nginx (same workers)',
          '÷ PM2 cluster',
          'failures',
        ],
        rows,
      ),
      '',
    ];
  });
  const cpuRoles = ['wrk', 'proxy', 'servers', 'manager'];
  const cpuRows = measured.map((contender) => [
    contender.label,
    ...formatCpuShares(contender.cpu, cpuRoles),
  ]);
  const targets: TargetCheck[] = [];
  for (const workers of WORKER_COUNTS) {
    const tendHttp = byId(`tend-http-${workers}`);
    const tendTcp = byId(`tend-tcp-${workers}`);
    const nginx = byId(`nginx-${workers}`);
    for (const connections of CONNECTION_COUNTS) {
      const at = `${plural(workers, 'worker')}, -c${connections}`;
      const httpRatio = ratio(rate(tendHttp, connections), rate(nginx, connections));
      targets.push(
        checkTarget(
          `tend HTTP proxy ≥ ${TARGET_HTTP_VS_NGINX}× nginx's req/s (${at})`,
          httpRatio,
          (value) => value >= TARGET_HTTP_VS_NGINX,
          `${formatRatio(httpRatio)} (${formatCount(rate(tendHttp, connections))} vs ${formatCount(rate(nginx, connections))})`,
        ),
        checkTarget(
          `tend HTTP proxy p99 within ${TARGET_P99_OVER_NGINX_MS} ms of nginx's (${at})`,
          p99(tendHttp, connections) - p99(nginx, connections),
          (over) => over <= TARGET_P99_OVER_NGINX_MS,
          `${formatMs(p99(tendHttp, connections))} vs ${formatMs(p99(nginx, connections))}`,
        ),
      );
      const tcpRatio = ratio(rate(tendTcp, connections), rate(cluster, connections));
      targets.push(
        checkTarget(
          `tend TCP mode ≥ ${TARGET_TCP_VS_PM2_CLUSTER}× PM2 cluster's req/s (${at})`,
          tcpRatio,
          (value) => value >= TARGET_TCP_VS_PM2_CLUSTER,
          `${formatRatio(tcpRatio)} (${formatCount(rate(tendTcp, connections))} vs ${formatCount(rate(cluster, connections))})`,
        ),
      );
    }
  }
  const notes = contenders.flatMap((contender) => [
    ...(contender.error ? [`${contender.label}: not measured: ${contender.error}`] : []),
    ...contender.notes.map((note) => `${contender.label}: ${note}`),
  ]);
  const report = [
    `## 8. Proxy throughput without chaos: wrk -t${WRK_THREADS}, ${CONNECTION_COUNTS.join(' and ')} connections, ${rounds} interleaved rounds of ${durationS} s (medians)`,
    '',
    ...tables,
    'CPU during the rounds (both connection counts), % of one core (2 cores: 200 % is all of the machine):',
    '',
    formatTable(['through', ...cpuRoles, ...CPU_TOTAL_HEADERS], cpuRows),
    '',
    'targets:',
    '',
    formatTargetTable(targets),
    '',
    "req/s counts 2xx/3xx responses; p50/p99 are medians of the rounds' percentiles; failures are wrk's socket errors and non-2xx over all rounds.",
    `${nginxVersion()}, ${wrkVersion()}, node ${process.version}`,
    `nginx balances the same ${INSTANCES} instances as tend's HTTP proxy with as many workers (keepalive 32, proxy_http_version 1.1).`,
    ...notes,
  ].join('\n');
  console.log(`${report}\n`);
  return { name: 'proxy-throughput', report, targets };
}

runIfMain(import.meta.url, runProxyThroughput);
