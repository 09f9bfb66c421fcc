/**
 * Benchmark 7: availability under chaos. The lab's chaos web server (it exits on 5 % of requests,
 * before answering) runs as 3 instances behind tend's proxy, under PM2 cluster mode, and under
 * PM2 fork mode behind nginx; a closed-loop keep-alive client drives each for a fixed time at 10
 * and at 100 connections and counts how every request ended, as the client saw it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePortRange } from '../test/helpers/free-ports.js';
import {
  awaitHttpOk,
  awaitOnline,
  pm2ClusterApp,
  pm2ForkApps,
  readRestarts,
  readTendProxyTotals,
  startPm2Apps,
  startTendPool,
  type TendProxyTotals,
} from './lib/chaos-pools.js';
import { onCleanup } from './lib/cleanup.js';
import {
  CPU_TOTAL_HEADERS,
  type CpuRole,
  cpuBetween,
  formatCpuShares,
  snapshotCpu,
} from './lib/cpu-time.js';
import { formatCount, formatMs, formatRatio, formatTable } from './lib/format.js';
import {
  countFailures,
  FAILURE_KIND_MEANINGS,
  FAILURE_KINDS,
  type HttpLoadTally,
  runHttpLoad,
} from './lib/http-load.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import { findNginx, nginxVersion, startNginx } from './lib/nginx.js';
import type { BenchOptions } from './lib/options.js';
import { findFreePort } from './lib/probes.js';
import { type BenchResult, checkTarget, type TargetCheck } from './lib/result.js';
import { percentile, ratio } from './lib/stats.js';
import { INSTALL_HINT } from './lib/system-tools.js';
import { formatTargetTable } from './lib/target-table.js';
import { countWrkFailures, findWrk, runWrk, type WrkOutcome, wrkVersion } from './lib/wrk.js';

const CHAOS_RATE = 0.05;
const INSTANCES = 3;
const CONNECTION_COUNTS = [10, 100] as const;
/** tend must serve at least this many times the best peer's successful requests a second. */
const TARGET_PEER_MULTIPLE = 3;
/**
 * PM2 counts a death as unstable (and puts the app in `errored` after max_restarts = 16 of them)
 * only while the app is younger than min_uptime × max_restarts = 16 s (lib/God.js). A server
 * under real traffic is older than that, so the load starts once PM2's apps are past it.
 */
const PM2_UNSTABLE_WINDOW_MS = 16_000;
/**
 * A request with no complete response after this long is a `timeout`, and its client moves on.
 * PM2 cluster mode leaves some connections open and unanswered when a worker dies: with 10 s
 * its clients spend most of the run waiting on those, and it serves about a quarter of what it
 * serves with 2 s. wrk's default, 2 s, is the kinder choice for the peers.
 */
const REQUEST_TIMEOUT_MS = 2_000;
/** See HttpLoadOptions.pauseAfterRefusedMs. */
const PAUSE_AFTER_REFUSED_MS = 10;
/** Statuses in which a manager no longer restarts an instance by itself. */
const GAVE_UP_STATUSES = ['errored', 'stopped'];
/** How long a pool may take to be whole again between runs. */
const SETTLE_TIMEOUT_MS = 15_000;

interface Contender {
  label: string;
  isTend: boolean;
  /** A peer run with settings tuned for this test rather than its defaults. */
  isTuned: boolean;
  port: number;
  manager: ProcessManager;
  /** Program names of its instances start with this. */
  programPrefix: string;
  roles: CpuRole[];
  runs: Map<number, Run>;
  notes: string[];
  error?: string;
}

interface Run {
  tally: HttpLoadTally;
  cpu: Map<string, number>;
  restarts: number;
  proxy?: TendProxyTotals;
  wrk?: WrkOutcome;
}

/** Drives each setup at 10 and 100 connections through the chaos and counts every request's end. */
export async function runChaosAvailability(options: BenchOptions): Promise<BenchResult> {
  const durationMs = options.isQuick ? 5_000 : 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'bench-chaos-'));
  const removeDir = onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  try {
    return await withManagers(async (managers) => {
      const contenders = await setUpContenders(managers, dir);
      progress(
        `waiting ${formatMs(PM2_UNSTABLE_WINDOW_MS)} until PM2's apps are past their first 16 s`,
      );
      await delay(PM2_UNSTABLE_WINDOW_MS);
      for (const connections of CONNECTION_COUNTS) {
        for (const contender of contenders) {
          if (contender.error) continue;
          progress(`${contender.label}: ${connections} connections for ${formatMs(durationMs)}`);
          const run = await attempt(contender.label, () =>
            driveContender(contender, connections, durationMs),
          );
          if (run instanceof Error)
            contender.notes.push(`${connections} connections: ${oneLine(run)}`);
          else contender.runs.set(connections, run);
          await settle(contender);
        }
      }
      await crossCheckWithWrk(contenders, durationMs);
      return reportResults(contenders, durationMs);
    });
  } finally {
    await removeDir.runNow();
  }
}

async function setUpContenders(managers: ProcessManager[], dir: string): Promise<Contender[]> {
  const tend = managers.find((manager) => manager.label === 'tend');
  const pm2 = managers.find((manager) => manager.label === 'pm2');
  const contenders: Contender[] = [];
  const add = async (
    label: string,
    manager: ProcessManager | undefined,
    setUp: (contender: Contender) => Promise<void>,
  ): Promise<Contender | undefined> => {
    if (!manager) return undefined;
    const contender: Contender = {
      label,
      isTend: manager.label === 'tend',
      isTuned: false,
      port: 0,
      manager,
      programPrefix: '',
      roles: [],
      runs: new Map(),
      notes: [],
    };
    const ready = await attempt(label, async () => {
      await manager.ensureDaemon();
      await setUp(contender);
    });
    if (ready instanceof Error) contender.error = oneLine(ready);
    contenders.push(contender);
    return contender;
  };

  progress('starting the pools: tend with its proxy, PM2 cluster, PM2 fork behind nginx');
  await add('tend (HTTP proxy)', tend, async (contender) => {
    const basePort = await findFreePortRange(INSTANCES);
    contender.port = await findFreePort();
    contender.programPrefix = 'chaos-tend';
    await startTendPool(contender.manager, {
      name: contender.programPrefix,
      instances: INSTANCES,
      basePort,
      proxyPort: contender.port,
      proxyMode: 'http',
      chaosRate: CHAOS_RATE,
    });
    await awaitOnline(contender.manager, contender.programPrefix, INSTANCES);
    await awaitHttpOk(contender.port);
    contender.roles = tendRoles(await contender.manager.daemonPid());
  });
  await add('PM2 cluster', pm2, async (contender) => {
    contender.port = await findFreePort();
    contender.programPrefix = 'chaos-cluster';
    await startPm2Apps(contender.manager, dir, contender.programPrefix, [
      pm2ClusterApp(contender.programPrefix, INSTANCES, contender.port, CHAOS_RATE),
    ]);
    await awaitOnline(contender.manager, contender.programPrefix, INSTANCES);
    await awaitHttpOk(contender.port);
    contender.roles = pm2Roles(await contender.manager.daemonPid());
  });
  const forkBasePort = await findFreePortRange(INSTANCES);
  const forks = await add('PM2 fork (no balancer)', pm2, async (contender) => {
    contender.programPrefix = 'chaos-fork';
    await startPm2Apps(
      contender.manager,
      dir,
      contender.programPrefix,
      pm2ForkApps(contender.programPrefix, INSTANCES, forkBasePort, CHAOS_RATE),
    );
    await awaitOnline(contender.manager, contender.programPrefix, INSTANCES);
  });
  // The fork apps are only upstreams: the row itself is not driven.
  if (forks) contenders.splice(contenders.indexOf(forks), 1);
  if (!findNginx()) {
    console.error(`nginx not found, so nginx in front of PM2 is not measured: ${INSTALL_HINT}`);
    return contenders;
  }
  const nginxVariants = [
    { label: 'nginx → PM2 fork', maxFails: undefined },
    { label: 'nginx → PM2 fork, max_fails=0', maxFails: 0 },
  ];
  for (const variant of nginxVariants) {
    await add(variant.label, pm2, async (contender) => {
      contender.isTuned = variant.maxFails !== undefined;
      if (forks?.error) throw new Error(`the PM2 fork apps did not start: ${forks.error}`);
      contender.programPrefix = 'chaos-fork';
      const nginx = await startNginx({
        port: await findFreePort(),
        upstreamPorts: Array.from({ length: INSTANCES }, (_, index) => forkBasePort + index),
        maxFails: variant.maxFails,
      });
      contender.port = nginx.port;
      await awaitHttpOk(contender.port);
      contender.roles = [
        ...pm2Roles(await contender.manager.daemonPid()),
        {
          label: 'proxy',
          isMember: (info) => info.pid === nginx.masterPid || info.ppid === nginx.masterPid,
        },
      ];
    });
  }
  return contenders;
}

function tendRoles(daemonPid: number): CpuRole[] {
  const isProxy = (cmdline: string): boolean => cmdline.includes('proxy-main');
  return [
    { label: 'manager', isMember: (info) => info.pid === daemonPid },
    {
      label: 'servers',
      isMember: (info) => info.ppid === daemonPid && !isProxy(info.cmdline),
      reaperPids: [daemonPid],
    },
    { label: 'proxy', isMember: (info) => info.ppid === daemonPid && isProxy(info.cmdline) },
  ];
}

function pm2Roles(daemonPid: number): CpuRole[] {
  return [
    { label: 'manager', isMember: (info) => info.pid === daemonPid },
    { label: 'servers', isMember: (info) => info.ppid === daemonPid, reaperPids: [daemonPid] },
  ];
}

/** The roles of the CPU table, in its order. */
const CPU_ROLES = ['client', 'manager', 'servers', 'proxy'];

const CLIENT_ROLE: CpuRole = { label: 'client', isMember: (info) => info.pid === process.pid };

async function driveContender(
  contender: Contender,
  connections: number,
  durationMs: number,
): Promise<Run> {
  const restartsBefore = await readRestarts(contender.manager, contender.programPrefix);
  const proxyBefore = contender.isTend
    ? await readTendProxyTotals(contender.manager, contender.programPrefix)
    : undefined;
  const cpuBefore = snapshotCpu();
  const tally = await runHttpLoad({
    port: contender.port,
    connections,
    durationMs,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    pauseAfterRefusedMs: PAUSE_AFTER_REFUSED_MS,
  });
  const cpuAfter = snapshotCpu();
  const restartsAfter = await readRestarts(contender.manager, contender.programPrefix);
  const run: Run = {
    tally,
    cpu: cpuBetween(cpuBefore, cpuAfter, [CLIENT_ROLE, ...contender.roles]),
    restarts: restartsAfter.restarts - restartsBefore.restarts,
  };
  if (proxyBefore) {
    const proxyAfter = await readTendProxyTotals(contender.manager, contender.programPrefix);
    run.proxy = {
      pid: proxyAfter.pid,
      requests: proxyAfter.requests - proxyBefore.requests,
      retries: proxyAfter.retries - proxyBefore.retries,
      failures: proxyAfter.failures - proxyBefore.failures,
    };
    if (proxyAfter.pid !== proxyBefore.pid)
      contender.notes.push(`the proxy's pid changed during the run at ${connections} connections`);
  }
  const gaveUp = restartsAfter.statuses.filter((status) => GAVE_UP_STATUSES.includes(status));
  if (gaveUp.length > 0)
    contender.notes.push(
      `right after the run at ${connections} connections: ${restartsAfter.statuses.join(', ')}`,
    );
  return run;
}

/** Waits until the pool is whole again, so that the next run starts from the same state. */
async function settle(contender: Contender): Promise<void> {
  const whole = await attempt(contender.label, () =>
    awaitOnline(contender.manager, contender.programPrefix, INSTANCES, SETTLE_TIMEOUT_MS),
  );
  if (whole instanceof Error) contender.notes.push(`not whole again: ${oneLine(whole)}`);
}

/** Runs wrk against tend's proxy too: an independent count of the failures the client saw. */
async function crossCheckWithWrk(contenders: Contender[], durationMs: number): Promise<void> {
  const tend = contenders.find((contender) => contender.isTend && !contender.error);
  if (!tend) return;
  if (!findWrk()) {
    tend.notes.push(`wrk not found, no cross-check: ${INSTALL_HINT}`);
    return;
  }
  for (const connections of CONNECTION_COUNTS) {
    progress(`${tend.label}: wrk cross-check at ${connections} connections`);
    const outcome = await attempt(`${tend.label} (wrk)`, () =>
      runWrk({
        port: tend.port,
        connections,
        threads: 1,
        durationS: durationMs / 1000,
        timeoutS: REQUEST_TIMEOUT_MS / 1000,
      }),
    );
    const run = tend.runs.get(connections);
    if (outcome instanceof Error) tend.notes.push(`wrk at ${connections}: ${oneLine(outcome)}`);
    else if (run) run.wrk = outcome;
    await settle(tend);
  }
}

function reportResults(contenders: Contender[], durationMs: number): BenchResult {
  const sections: string[] = [
    `## 7. Availability under chaos: ${INSTANCES} instances of the chaos server (${CHAOS_RATE * 100} % of requests crash it), ${formatMs(durationMs)} per run`,
    '',
  ];
  const targets: TargetCheck[] = [];
  for (const connections of CONNECTION_COUNTS) {
    const measured = contenders.filter((contender) => contender.runs.has(connections));
    const rows = measured.map((contender) => {
      const run = contender.runs.get(connections) as Run;
      const { tally } = run;
      const windowS = tally.windowMs / 1000;
      return [
        contender.label,
        formatCount(tally.sent),
        formatCount(tally.ok),
        `${formatCount(countFailures(tally))} (${formatPercent(countFailures(tally), tally.sent)})`,
        formatCount(tally.okInWindow / windowS),
        formatMs(percentile(tally.okLatenciesMs, 50)),
        formatMs(percentile(tally.okLatenciesMs, 99)),
        (run.restarts / windowS).toFixed(1),
        (tally.ok / Math.max(run.restarts, 1)).toFixed(1),
      ];
    });
    const failureRows = measured.map((contender) => {
      const { tally } = contender.runs.get(connections) as Run;
      return [
        contender.label,
        ...FAILURE_KINDS.map((kind) => formatCount(tally.failures[kind])),
        describeCodes(tally),
      ];
    });
    const cpuRows = measured.map((contender) => [
      contender.label,
      ...formatCpuShares((contender.runs.get(connections) as Run).cpu, CPU_ROLES),
    ]);
    sections.push(
      `### ${connections} connections`,
      '',
      formatTable(
        ['through', 'sent', '2xx', 'failed', '2xx/s', 'p50', 'p99', 'restarts/s', '2xx/restart'],
        rows,
      ),
      '',
      'failures by kind:',
      '',
      formatTable(['through', ...FAILURE_KINDS, 'statuses / codes'], failureRows),
      '',
      'CPU during the run, % of one core (the machine has 2 cores: 200 % is all of it):',
      '',
      formatTable(['through', ...CPU_ROLES, ...CPU_TOTAL_HEADERS], cpuRows),
      '',
    );
    const tend = measured.find((contender) => contender.isTend);
    const tendRun = tend?.runs.get(connections);
    const rate = (contender: Contender): number => {
      const tally = contender.runs.get(connections)?.tally;
      return tally ? tally.okInWindow / (tally.windowMs / 1000) : Number.NaN;
    };
    if (tendRun?.proxy) {
      const { proxy } = tendRun;
      sections.push(
        `tend's proxy: ${formatCount(proxy.requests)} deliveries to instances, ${formatCount(proxy.retries)} of them retries; ${formatCount(proxy.failures)} attempts failed on an instance and were hidden or answered 502`,
      );
    }
    if (tendRun?.wrk) {
      const { wrk } = tendRun;
      sections.push(
        `wrk cross-check (tend, ${connections} connections, ${formatMs(wrk.durationMs)}): ${formatCount(wrk.responses)} responses, ${formatCount(wrk.non2xx)} non-2xx, socket errors connect ${wrk.errors.connect} / read ${wrk.errors.read} / write ${wrk.errors.write} / timeout ${wrk.errors.timeout}; ${formatCount(wrk.successPerSecond)} 2xx/s, p50 ${formatMs(wrk.latencyMs.p50)}, p99 ${formatMs(wrk.latencyMs.p99)}`,
      );
    }
    for (const contender of measured) {
      for (const [status, body] of contender.runs.get(connections)?.tally.sampleBodies ?? []) {
        sections.push(`${contender.label}, a ${status} said: ${body || '(empty body)'}`);
      }
    }
    sections.push('');
    const bestOf = (peers: Contender[]): Contender | undefined =>
      peers.reduce<Contender | undefined>(
        (top, contender) => (top && rate(top) >= rate(contender) ? top : contender),
        undefined,
      );
    const best = bestOf(measured.filter((contender) => !contender.isTend));
    const bestUntuned = bestOf(
      measured.filter((contender) => !contender.isTend && !contender.isTuned),
    );
    const tendFailures = tendRun ? countFailures(tendRun.tally) : Number.NaN;
    targets.push(
      checkTarget(
        `tend: zero failed requests at ${connections} connections`,
        tendFailures,
        (failures) => failures === 0,
        tendRun
          ? `${formatCount(tendFailures)} of ${formatCount(tendRun.tally.sent)}${tendRun.wrk ? ` (wrk: ${formatCount(countWrkFailures(tendRun.wrk))})` : ''}`
          : 'not measured',
      ),
    );
    const multiple = tend && best ? ratio(rate(tend), rate(best)) : Number.NaN;
    targets.push(
      checkTarget(
        `tend: ≥ ${TARGET_PEER_MULTIPLE}× the best peer's 2xx/s at ${connections} connections`,
        multiple,
        (value) => value >= TARGET_PEER_MULTIPLE,
        tend && best
          ? [
              `${formatRatio(multiple)} (${formatCount(rate(tend))} vs ${best.label} ${formatCount(rate(best))})`,
              ...(bestUntuned && bestUntuned !== best
                ? [
                    `; peers with their defaults: ${formatRatio(ratio(rate(tend), rate(bestUntuned)))} (${bestUntuned.label} ${formatCount(rate(bestUntuned))})`,
                  ]
                : []),
            ].join('')
          : 'not measured',
      ),
    );
  }
  const notes = contenders.flatMap((contender) => [
    ...(contender.error ? [`${contender.label}: not measured: ${contender.error}`] : []),
    ...contender.notes.map((note) => `${contender.label}: ${note}`),
  ]);
  sections.push(
    'targets:',
    '',
    formatTargetTable(targets),
    '',
    `${nginxVersion()}, ${wrkVersion()}, node ${process.version}`,
    'Each client keeps one keep-alive connection and sends GET / back to back; every request ends as a complete 2xx or as one failure:',
    ...FAILURE_KINDS.map((kind) => `  ${kind}: ${FAILURE_KIND_MEANINGS[kind]}`),
    `After a refused connection a client waits ${PAUSE_AFTER_REFUSED_MS} ms before it tries again. The request timeout is ${REQUEST_TIMEOUT_MS / 1000} s (wrk's default). 2xx/s counts responses completed within the window; p50/p99 are of 2xx responses.`,
    `The load starts once PM2's apps are older than ${PM2_UNSTABLE_WINDOW_MS / 1000} s (before that, PM2 counts each early death towards putting the app in errored).`,
    "nginx: one worker, keep-alive upstream connections, `proxy_next_upstream error timeout` (the default), upstreams are PM2 fork apps on fixed ports; the first nginx row keeps nginx's default max_fails=1 fail_timeout=10s, the second never takes an upstream out (max_fails=0).",
    ...notes,
  );
  const report = sections.join('\n');
  console.log(`${report}\n`);
  return { name: 'chaos-availability', report, targets };
}

function describeCodes(tally: HttpLoadTally): string {
  const parts = [
    ...[...tally.statuses].map(([status, count]) => `${status}×${formatCount(count)}`),
    ...[...tally.otherCodes].map(([code, count]) => `${code}×${formatCount(count)}`),
  ];
  return parts.length > 0 ? parts.join(' ') : '—';
}

function formatPercent(part: number, whole: number): string {
  if (!Number.isFinite(part) || !Number.isFinite(whole) || whole === 0) return 'n/a';
  const percent = (part / whole) * 100;
  return `${percent < 10 && percent > 0 ? percent.toFixed(1) : Math.round(percent)} %`;
}

runIfMain(import.meta.url, runChaosAvailability);
