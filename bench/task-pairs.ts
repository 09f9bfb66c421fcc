/**
 * Issue 10, Servman's heartbeat test through tend's proxy: N client/task pairs. A task program
 * (one ws-pong process per task) behind its proxy; each client opens `ws://…/pairs/new` (the
 * proxy allocates it a task of its own, starting one when the buffer is empty), sends 10 pings
 * one a second and counts the pongs. Clients are spread over a few processes. Reports pongs,
 * connection failures, handshake p50/p99 (allocation and any process start included), and the
 * proxy's CPU and peak RSS. `node dist/bench/task-pairs.js [--pairs N] [--quick]` (N = 1000 by
 * default, 100 with --quick). No peer runs beside it: Servman is not installed here; its README
 * says its own test breaks near 500 pairs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { findFreePortRun } from './lib/chaos-pools.js';
import { CLOCK_TICKS_PER_S } from './lib/cpu-time.js';
import { runCommand } from './lib/exec.js';
import { formatMs, formatTable } from './lib/format.js';
import { progress, runIfMain } from './lib/main.js';
import { isTendAvailable } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath, TEND_BIN } from './lib/paths.js';
import { descendantsOf, findFreePort, pollUntil, readRssKib } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { percentile } from './lib/stats.js';
import { formatTargetTable } from './lib/target-table.js';
import { TendManager } from './lib/tend.js';

const NAME = 'pairs';
const PINGS = 10;
const PING_INTERVAL_MS = 1_000;
const CLIENT_PROCESSES = 4;
/** What one task process (node + ws) holds resident, measured: about 50 MiB. */
const TASK_PROCESS_MIB = 50;

/** Refuses a run whose task processes would not fit in the memory available now. */
function checkMemory(pairs: number): void {
  const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  const availableMib = Number(match?.[1] ?? Number.NaN) / 1024;
  const neededMib = pairs * TASK_PROCESS_MIB;
  if (neededMib > availableMib * 0.8) {
    throw new Error(
      `${pairs} pairs need about ${(neededMib / 1024).toFixed(1)} GiB for their task processes (${TASK_PROCESS_MIB} MiB each), and ${(availableMib / 1024).toFixed(1)} GiB is available: run with --pairs ${Math.floor((availableMib * 0.8) / TASK_PROCESS_MIB)} or less`,
    );
  }
}

interface PairOutcome {
  handshakeMs: number | null;
  joinMs: number | null;
  pongs: number;
  failure: string | null;
}

/** N from `--pairs N`, else 1000 (100 with --quick). */
function pairCount(options: BenchOptions): number {
  const index = process.argv.indexOf('--pairs');
  const given = index === -1 ? Number.NaN : Number(process.argv[index + 1]);
  if (Number.isInteger(given) && given > 0) return given;
  return options.isQuick ? 100 : 1_000;
}

/** CPU ms (user + system) of a process and its descendants now. */
function cpuMsOfTree(pid: number): number {
  let ticks = 0;
  for (const each of [pid, ...descendantsOf(pid).map((info) => info.pid)]) {
    try {
      const stat = readFileSync(`/proc/${each}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

function rssKibOfTree(pid: number): number {
  return [pid, ...descendantsOf(pid).map((info) => info.pid)]
    .map(readRssKib)
    .filter(Number.isFinite)
    .reduce((sum, kib) => sum + kib, 0);
}

/** Runs one client process and resolves with its pairs' outcomes. */
function runClients(url: string, clients: number, rampMs: number): Promise<PairOutcome[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        fixturePath('task-pairs-client'),
        url,
        String(clients),
        String(PINGS),
        String(PING_INTERVAL_MS),
        String(rampMs),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      stdout += text;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as PairOutcome[]);
      else reject(new Error(`a client process exited with ${code}`));
    });
  });
}

/** Runs N heartbeat pairs through a task program's proxy under tend. */
export async function runTaskPairs(options: BenchOptions): Promise<BenchResult> {
  if (!isTendAvailable()) throw new Error('tend is not built: nothing to measure');
  const pairs = pairCount(options);
  checkMemory(pairs);
  const tend = new TendManager();
  await tend.ensureDaemon();
  const env = { ...process.env, TEND_HOME: tend.home };
  // While it spawns the fleet the daemon answers slowly on a loaded machine: limits grow with N.
  const slowMs = 60_000 + pairs * 5_000;
  const base = await findFreePortRun(pairs);
  const proxyPort = await findFreePort();
  progress(
    `task program: ${pairs} instances ready in advance from port ${base}, proxy ${proxyPort}`,
  );
  // Spawning the fleet takes a while on a loaded machine: its own time limit, not the default minute.
  const started = await runCommand(
    process.execPath,
    [
      TEND_BIN,
      'start',
      '--name',
      NAME,
      '--tasks',
      '--ready-buffer',
      String(pairs),
      '--max',
      String(pairs),
      '--port',
      String(base),
      '--proxy-port',
      String(proxyPort),
      '--connect-wait',
      '60s',
      '--no-wait',
      '--',
      process.execPath,
      fixturePath('ws-pong'),
    ],
    { env, timeoutMs: slowMs },
  );
  if (started.code !== 0) throw new Error(`tend start failed: ${started.stderr}`);
  const proxyPid = await pollUntil(
    'the task program’s proxy to run',
    async () => {
      const status = await runCommand(process.execPath, [TEND_BIN, 'status', NAME, '--json'], {
        env,
        timeoutMs: slowMs,
        isFailureAllowed: true,
      });
      if (status.code !== 0) return undefined;
      const detail = JSON.parse(status.stdout) as
        | { proxy?: { pid: number | null } }
        | { proxy?: { pid: number | null } }[];
      const program = Array.isArray(detail) ? detail[0] : detail;
      return program?.proxy?.pid ?? undefined;
    },
    { intervalMs: 100, timeoutMs: 30_000 },
  );

  // The whole fleet is started and ready first (Agones' buffer), and at its max it starts no
  // replacement: the run measures allocation and routing, not this machine's process start-up.
  const readyAt = performance.now();
  await pollUntil(
    `${pairs} ready instances`,
    async () => {
      // A daemon busy spawning the fleet may time a request out: that poll is simply retried.
      const listing = await runCommand(process.execPath, [TEND_BIN, 'ls', '--json'], {
        env,
        timeoutMs: slowMs,
        isFailureAllowed: true,
      });
      if (listing.code !== 0) return undefined;
      const rows = JSON.parse(listing.stdout) as { status: string }[];
      return rows.filter((row) => row.status === 'online').length >= pairs || undefined;
    },
    { intervalMs: 500, timeoutMs: slowMs },
  );
  progress(`${pairs} instances ready after ${formatMs(performance.now() - readyAt)}`);
  // Clients arrive over a ramp, as users would: 200 new tasks a second.
  const rampMs = Math.max(1_000, pairs * 5);
  progress(`${pairs} pairs over ${CLIENT_PROCESSES} client processes, ramp ${formatMs(rampMs)}`);
  const cpuBefore = cpuMsOfTree(proxyPid);
  const startedAt = performance.now();
  let peakRssKib = rssKibOfTree(proxyPid);
  let isSampling = true;
  const sampler = (async () => {
    while (isSampling) {
      peakRssKib = Math.max(peakRssKib, rssKibOfTree(proxyPid));
      await delay(250);
    }
  })();
  const url = `ws://127.0.0.1:${proxyPort}/${NAME}/new`;
  const shares = Array.from(
    { length: CLIENT_PROCESSES },
    (_unused, index) =>
      Math.floor(pairs / CLIENT_PROCESSES) + (index < pairs % CLIENT_PROCESSES ? 1 : 0),
  ).filter((share) => share > 0);
  const outcomes = (
    await Promise.all(shares.map((share) => runClients(url, share, rampMs)))
  ).flat();
  const wallMs = performance.now() - startedAt;
  isSampling = false;
  await sampler;
  const proxyCpuMs = cpuMsOfTree(proxyPid) - cpuBefore;
  await tend.shutdown();

  const handshakes = outcomes
    .map((outcome) => outcome.handshakeMs)
    .filter((ms): ms is number => ms !== null);
  const joins = outcomes.map((outcome) => outcome.joinMs).filter((ms): ms is number => ms !== null);
  const pongs = outcomes.reduce((sum, outcome) => sum + outcome.pongs, 0);
  const failures = outcomes.filter((outcome) => outcome.failure !== null);
  const reasons = new Map<string, number>();
  for (const failure of failures)
    reasons.set(failure.failure as string, (reasons.get(failure.failure as string) ?? 0) + 1);
  const p50 = percentile(handshakes, 50);
  const p99 = percentile(handshakes, 99);
  const table = formatTable(
    [
      'pairs',
      'pongs',
      'failed pairs',
      'handshake p50',
      'handshake p99',
      'join p50',
      'join p99',
      'proxy CPU',
      'proxy peak RSS',
    ],
    [
      [
        String(pairs),
        `${pongs} / ${pairs * PINGS}`,
        String(failures.length),
        formatMs(p50),
        formatMs(p99),
        formatMs(percentile(joins, 50)),
        formatMs(percentile(joins, 99)),
        `${formatMs(proxyCpuMs)} (${((proxyCpuMs / wallMs) * 100).toFixed(1)} % of a core)`,
        `${(peakRssKib / 1024).toFixed(1)} MiB`,
      ],
    ],
  );
  const targets = [
    checkTarget(
      `every pong of ${pairs} pairs arrives`,
      pongs,
      (value) => value === pairs * PINGS,
      `${pongs} / ${pairs * PINGS}`,
    ),
    checkTarget(
      'no connection fails',
      failures.length,
      (value) => value === 0,
      String(failures.length),
    ),
  ];
  const report = [
    `## task-pairs: ${pairs} heartbeat pairs through a task program's proxy\n`,
    table,
    '',
    failures.length > 0
      ? `failures: ${[...reasons].map(([reason, count]) => `${count}× ${reason}`).join(', ')}\n`
      : '',
    `Each client opens /${NAME}/new (its own task, a ws-pong process), sends ${PINGS} pings ${PING_INTERVAL_MS} ms apart; clients arrive over ${formatMs(rampMs)}; all ${pairs} instances were started and ready first (--ready-buffer ${pairs} --max ${pairs}), so the handshake is the allocation and the connection through the proxy, with no process start; a join is a second connection to the running task (/${NAME}/<id>), opened and closed, which the proxy routes with no allocation: its own cost. Proxy CPU and RSS include its worker processes, if any.`,
    '',
    formatTargetTable(targets),
    '',
  ].join('\n');
  console.log(report);
  return { name: 'task-pairs', report, targets };
}

runIfMain(import.meta.url, runTaskPairs);
