/**
 * Issue 10, Servman's heartbeat test through tend's proxy: N client/task pairs. A task program
 * (one ws-pong process per task) behind its proxy; each client opens `ws://…/pairs/new` (the
 * proxy allocates it a task of its own from the ready fleet), sends 10 pings one a second and
 * counts the pongs. Clients are spread over a few processes. Reports pongs, connection failures,
 * handshake and join p50/p99, the proxy's CPU and peak RSS, the daemon's CPU and peak RSS, the
 * time to start the fleet, the task processes' private memory and the load average.
 * `node dist/bench/task-pairs.js [--pairs N] [--quick]` (N = 1000 by default, 100 with --quick).
 * No peer runs beside it: Servman is not installed here; its README says its own test breaks
 * near 500 pairs.
 */
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { findFreePortRange } from '../test/helpers/free-ports.js';
import { processCpuMs } from './lib/cpu-time.js';
import { awaitExit, runCommand, spawnTracked } from './lib/exec.js';
import { formatMs, formatTable } from './lib/format.js';
import { progress, runIfMain } from './lib/main.js';
import { isTendAvailable } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath, TEND_BIN } from './lib/paths.js';
import { loadAverage, memAvailableMib, readPrivateKib } from './lib/private-memory.js';
import { descendantsOf, findFreePort, pollUntil, readRssKib } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { percentile } from './lib/stats.js';
import { formatTargetTable } from './lib/target-table.js';
import { TendManager } from './lib/tend.js';

const NAME = 'pairs';
const PINGS = 10;
const PING_INTERVAL_MS = 1_000;
const CLIENT_PROCESSES = 4;
/**
 * Node's flags for the bench's own task program (not tend's defaults): a young generation of
 * 1 MiB per semi-space and no V8 helper threads keep an idle ws-pong near 12 MiB of private memory
 * instead of about 15; a task that answers a ping a second needs neither.
 */
const TASK_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded'];
/** Growth allowed per task over the probe's private memory: its heap grows with its connection. */
const TASK_GROWTH = 1.25;
/** Per task process, what the kernel keeps besides its pages (page tables, socket buffers). */
const TASK_KERNEL_MIB = 1;
/** Kept for the daemon, the proxy, the client processes and the rest of the machine. */
const RESERVED_MIB = 2_048;

/**
 * Private memory (Private_Clean + Private_Dirty) of one task process started as the fleet's
 * are, after it answered a few pings: the cost each more task adds. RSS would count the node
 * binary's shared pages once per process (about 50 MiB each) and refuse runs that fit.
 */
async function probeTaskMib(): Promise<number> {
  const port = await findFreePort();
  const child = spawnTracked(process.execPath, [...TASK_NODE_FLAGS, fixturePath('ws-pong')], {
    env: { ...process.env, PORT: String(port) },
  });
  try {
    const socket = await pollUntil(
      'the probe task to listen',
      () =>
        new Promise<WebSocket | undefined>((resolve) => {
          const attempt = new WebSocket(`ws://127.0.0.1:${port}`);
          attempt.once('open', () => resolve(attempt));
          attempt.once('error', () => resolve(undefined));
        }),
      { intervalMs: 50, timeoutMs: 30_000 },
    );
    for (let ping = 0; ping < 3; ping++) {
      const pong = new Promise((resolve) => socket.once('message', resolve));
      socket.send(`ping ${ping}`);
      await pong;
    }
    const privateKib = readPrivateKib(child.pid as number);
    socket.terminate();
    return privateKib / 1024;
  } finally {
    child.kill('SIGTERM');
    await awaitExit(child);
  }
}

/** Refuses a run whose task processes would not fit in the memory available now, naming the largest N that does. */
function checkMemory(
  pairs: number,
  probeMib: number,
): { perTaskMib: number; availableMib: number } {
  const availableMib = memAvailableMib();
  const perTaskMib = probeMib * TASK_GROWTH + TASK_KERNEL_MIB;
  const neededMib = pairs * perTaskMib + RESERVED_MIB;
  if (!Number.isFinite(perTaskMib) || neededMib > availableMib) {
    const fits = Math.max(0, Math.floor((availableMib - RESERVED_MIB) / perTaskMib));
    throw new Error(
      `${pairs} pairs need about ${(neededMib / 1024).toFixed(1)} GiB (${perTaskMib.toFixed(1)} MiB of private memory per task process, measured on a probe, plus ${(RESERVED_MIB / 1024).toFixed(0)} GiB kept for the rest), and ${(availableMib / 1024).toFixed(1)} GiB is available: run with --pairs ${fits} or less`,
    );
  }
  return { perTaskMib, availableMib };
}

/** The fields of `tend status <name> --json` this benchmark reads. */
interface ProgramStatus {
  instances: { status: string }[];
  proxy?: { pid: number | null };
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

/** CPU ms (user + system) of some processes now (one that is gone counts 0). */
function cpuMsOf(pids: readonly number[]): number {
  return pids.map(processCpuMs).reduce((sum, ms) => sum + (Number.isFinite(ms) ? ms : 0), 0);
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

/** The daemon's figures over a stretch of the run: its own CPU and its peak RSS (task processes and proxy left out). */
interface DaemonFigures {
  cpuMs: number;
  wallMs: number;
  peakRssKib: number;
}

/** Samples the summed RSS of some processes every 250 ms until stopped; resolves to the peak, in KiB. */
function samplePeakRss(pids: readonly number[]): { stop(): Promise<number> } {
  const rss = () =>
    pids
      .map(readRssKib)
      .filter(Number.isFinite)
      .reduce((sum, kib) => sum + kib, 0);
  let peak = rss();
  let isSampling = true;
  const done = (async () => {
    while (isSampling) {
      peak = Math.max(peak, rss());
      await delay(250);
    }
    return peak;
  })();
  return {
    stop: () => {
      isSampling = false;
      return done;
    },
  };
}

/** Private memory of every task process (the daemon's ws-pong descendants) now, in MiB. */
function taskPrivateMib(daemonPid: number): number[] {
  return descendantsOf(daemonPid)
    .filter((info) => info.cmdline.includes('ws-pong') && info.state !== 'Z')
    .map((info) => readPrivateKib(info.pid) / 1024)
    .filter(Number.isFinite);
}

/** Runs N heartbeat pairs through a task program's proxy under tend. */
export async function runTaskPairs(options: BenchOptions): Promise<BenchResult> {
  if (!isTendAvailable()) throw new Error('tend is not built: nothing to measure');
  const pairs = pairCount(options);
  const probeMib = await probeTaskMib();
  const memory = checkMemory(pairs, probeMib);
  progress(
    `a task process holds ${probeMib.toFixed(1)} MiB of its own (probe): ${pairs} pairs need about ${((pairs * memory.perTaskMib) / 1024).toFixed(1)} GiB of ${(memory.availableMib / 1024).toFixed(1)} GiB available`,
  );
  const tend = new TendManager();
  await tend.ensureDaemon();
  const daemonPid = await tend.daemonPid();
  const env = { ...process.env, TEND_HOME: tend.home };
  // Starting the fleet takes a while on a loaded machine: its own time limit, not the default minute.
  const fleetTimeoutMs = 120_000 + pairs * 500;
  // The proxy's port right after the instances': one run below the ephemeral range.
  const base = await findFreePortRange(pairs + 1);
  const proxyPort = base + pairs;
  progress(
    `task program: ${pairs} instances ready in advance from port ${base}, proxy ${proxyPort}`,
  );
  const loadAtStart = loadAverage();
  const fleetStartedAt = performance.now();
  const daemonCpuAtStart = processCpuMs(daemonPid);
  const daemonRss = samplePeakRss([daemonPid]);
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
      ...TASK_NODE_FLAGS,
      fixturePath('ws-pong'),
    ],
    { env, timeoutMs: fleetTimeoutMs },
  );
  if (started.code !== 0) throw new Error(`tend start failed: ${started.stderr}`);
  const startCommandMs = performance.now() - fleetStartedAt;
  // The whole fleet is started and ready first (Agones' buffer), and at its max it starts no
  // replacement: the run measures allocation and routing, not this machine's process start-up.
  const proxyPid = await pollUntil(
    `the task program's proxy and ${pairs} ready instances`,
    async () => {
      const status = await runCommand(process.execPath, [TEND_BIN, 'status', NAME, '--json'], {
        env,
        timeoutMs: fleetTimeoutMs,
        isFailureAllowed: true,
      });
      // A daemon busy spawning the fleet may be slow to answer: that poll is simply retried.
      if (status.code !== 0) return undefined;
      const detail = JSON.parse(status.stdout) as ProgramStatus | ProgramStatus[];
      const program = Array.isArray(detail) ? detail[0] : detail;
      const online = program?.instances.filter((row) => row.status === 'online').length ?? 0;
      const pid = program?.proxy?.pid ?? null;
      return (online >= pairs && pid !== null && pid) || undefined;
    },
    { intervalMs: 1_000, timeoutMs: fleetTimeoutMs },
  );
  const fleetMs = performance.now() - fleetStartedAt;
  const fleetDaemon: DaemonFigures = {
    cpuMs: processCpuMs(daemonPid) - daemonCpuAtStart,
    wallMs: fleetMs,
    peakRssKib: await daemonRss.stop(),
  };
  const loadAtReady = loadAverage();
  progress(
    `${pairs} instances ready after ${formatMs(fleetMs)} (\`tend start\` answered after ${formatMs(startCommandMs)})`,
  );

  // Clients arrive over a ramp, as users would: 200 new tasks a second.
  const rampMs = Math.max(1_000, pairs * 5);
  progress(`${pairs} pairs over ${CLIENT_PROCESSES} client processes, ramp ${formatMs(rampMs)}`);
  // The proxy's tree (its workers, if any) is read once: walking /proc for a thousand processes
  // every 250 ms would cost the run a share of a core.
  const proxyTree = [proxyPid, ...descendantsOf(proxyPid).map((info) => info.pid)];
  const proxyCpuBefore = cpuMsOf(proxyTree);
  const daemonCpuBefore = processCpuMs(daemonPid);
  const startedAt = performance.now();
  const proxyRss = samplePeakRss(proxyTree);
  const runDaemonRss = samplePeakRss([daemonPid]);
  let peakLoad = loadAverage();
  const loadSampler = setInterval(() => {
    peakLoad = Math.max(peakLoad, loadAverage());
  }, 1_000);
  // Once every pair is connected and pinging: what each task process holds of its own.
  let taskMib: number[] = [];
  const taskSample = delay(rampMs + 3_000).then(() => {
    taskMib = taskPrivateMib(daemonPid);
  });
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
  await taskSample;
  clearInterval(loadSampler);
  const proxyCpuMs = cpuMsOf(proxyTree) - proxyCpuBefore;
  const peakProxyRssKib = await proxyRss.stop();
  const runDaemon: DaemonFigures = {
    cpuMs: processCpuMs(daemonPid) - daemonCpuBefore,
    wallMs,
    peakRssKib: await runDaemonRss.stop(),
  };
  const loadAtEnd = loadAverage();
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
  const share = (cpuMs: number, ms: number) =>
    `${formatMs(cpuMs)} (${((cpuMs / ms) * 100).toFixed(1)} % of a core)`;
  const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
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
      'daemon CPU',
      'daemon peak RSS',
    ],
    [
      [
        String(pairs),
        `${pongs} / ${pairs * PINGS}`,
        String(failures.length),
        formatMs(percentile(handshakes, 50)),
        formatMs(percentile(handshakes, 99)),
        formatMs(percentile(joins, 50)),
        formatMs(percentile(joins, 99)),
        share(proxyCpuMs, wallMs),
        mib(peakProxyRssKib),
        share(runDaemon.cpuMs, runDaemon.wallMs),
        mib(runDaemon.peakRssKib),
      ],
    ],
  );
  const fleetTable = formatTable(
    [
      'fleet ready in',
      '`tend start` answered in',
      'daemon CPU',
      'daemon peak RSS',
      'task private memory (mean, max)',
      'probe estimate',
      'load average (start, ready, peak, end)',
    ],
    [
      [
        formatMs(fleetMs),
        formatMs(startCommandMs),
        share(fleetDaemon.cpuMs, fleetDaemon.wallMs),
        mib(fleetDaemon.peakRssKib),
        taskMib.length === 0
          ? 'not sampled'
          : `${(taskMib.reduce((sum, each) => sum + each, 0) / taskMib.length).toFixed(1)}, ${Math.max(...taskMib).toFixed(1)} MiB (${taskMib.length} processes)`,
        `${probeMib.toFixed(1)} MiB`,
        [loadAtStart, loadAtReady, Math.max(peakLoad, loadAtEnd), loadAtEnd]
          .map((load) => load.toFixed(1))
          .join(', '),
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
    `Starting the fleet (${pairs} ws-pong processes, \`node ${TASK_NODE_FLAGS.join(' ')}\`):\n`,
    fleetTable,
    '',
    `Each client opens /${NAME}/new (its own task, a ws-pong process), sends ${PINGS} pings ${PING_INTERVAL_MS} ms apart; clients arrive over ${formatMs(rampMs)}; all ${pairs} instances were started and ready first (--ready-buffer ${pairs} --max ${pairs}), so the handshake is the allocation and the connection through the proxy, with no process start; a join is a second connection to the running task (/${NAME}/<id>), opened and closed, which the proxy routes with no allocation: its own cost. Proxy CPU and RSS include its worker processes, if any; the daemon's are its own process's, over the clients' run (first table) and over the fleet's start (second).`,
    '',
    formatTargetTable(targets),
    '',
  ].join('\n');
  console.log(report);
  return { name: 'task-pairs', report, targets };
}

runIfMain(import.meta.url, runTaskPairs);
