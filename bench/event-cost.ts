/**
 * Benchmark 10 (issue 7): what watching costs the daemon. Its CPU and memory with 100 idle
 * programs and 10 event-stream clients plus a dashboard open, against the same 100 programs with
 * nobody watching. Phases alternate (nobody, watchers, nobody, watchers, …) so that load from
 * other work on the machine falls on both sides.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { CLOCK_TICKS_PER_S, processCpuMs } from './lib/cpu-time.js';
import { DashboardViewer } from './lib/dashboard.js';
import { EventStreamClient } from './lib/event-stream.js';
import { formatKib, formatMs, formatTable } from './lib/format.js';
import { awaitAllOnline, IDLE_COMMAND } from './lib/idle.js';
import { progress, runIfMain } from './lib/main.js';
import { isTendAvailable } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { descendantsOf, readRssKib } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median } from './lib/stats.js';
import { formatTargetTable } from './lib/target-table.js';
import { TendManager } from './lib/tend.js';

const TARGET_CPU_PERCENT = 5;
const TARGET_RSS_MIB = 10;
const EVENT_CLIENTS = 10;
/**
 * When the real dashboard cannot be opened (it has not landed, or no Chromium/playwright-core),
 * it is stood in for by 10 more event streams and a GET /v1/programs every 2 s (the figures of its table).
 */
const DASHBOARD_STAND_IN_CLIENTS = 10;
const DASHBOARD_POLL_MS = 2000;
const RSS_SAMPLE_MS = 1000;
/** With churn, one program is restarted (POST /v1/programs/<name>/restart) this often, watched or not. */
const CHURN_INTERVAL_MS = 1000;

/** What a phase runs besides the daemon. */
interface PhasePlan {
  isWatched: boolean;
  /** Programs to restart in turn (idle-0 … idle-N-1), one per CHURN_INTERVAL_MS; 0 for none. */
  churnPrograms: number;
}

interface PhaseFigures {
  isWatched: boolean;
  isChurning: boolean;
  cpuPercent: number;
  rssKib: number;
  wallMs: number;
  /** Bytes the watchers received during the phase. */
  streamBytes: number;
  polls: number;
}

/** Measures the daemon's CPU and RSS with and without watchers, phases alternating. */
export async function runEventCost(options: BenchOptions): Promise<BenchResult> {
  const programCount = options.isQuick ? 10 : 100;
  const phaseMs = options.isQuick ? 5_000 : 20_000;
  const pairs = options.isQuick ? 1 : 2;
  if (!isTendAvailable()) throw new Error('tend is not built: nothing to measure');
  const tend = new TendManager();
  let dashboard: DashboardViewer | undefined;
  try {
    await tend.ensureDaemon();
    progress(`starting ${programCount} idle programs, one CLI call each`);
    for (let index = 0; index < programCount; index++)
      await tend.start({ name: `idle-${index}`, ...IDLE_COMMAND });
    await awaitAllOnline(tend, programCount, 120_000);
    const daemonPid = await tend.daemonPid();
    const managed = new Set((await tend.list()).flatMap((row) => (row.pid ? [row.pid] : [])));
    const helpers = descendantsOf(daemonPid).filter((info) => !managed.has(info.pid));
    const viewer = await DashboardViewer.create(tend);
    dashboard = typeof viewer === 'string' ? undefined : viewer;
    const dashboardNote =
      typeof viewer === 'string'
        ? `The real dashboard was not opened (${viewer}): a stand-in of ${DASHBOARD_STAND_IN_CLIENTS} more event streams and a GET /v1/programs every ${DASHBOARD_POLL_MS / 1000} s took its place.`
        : 'The dashboard was open in headless Chromium (Debian, playwright-core) during watched phases; its page loads over the TCP listener with the token.';
    const watchersLabel = dashboard
      ? `${EVENT_CLIENTS} streams + dashboard in Chromium`
      : `${EVENT_CLIENTS} streams + dashboard stand-in (${DASHBOARD_STAND_IN_CLIENTS} streams, GET /v1/programs every ${DASHBOARD_POLL_MS / 1000} s)`;
    await delay(options.isQuick ? 1000 : 5000);
    const measure = (plan: PhasePlan) => measurePhase(tend, daemonPid, phaseMs, plan, dashboard);

    const phases: PhaseFigures[] = [];
    progress(
      `${pairs * 2} alternating phases of ${formatMs(phaseMs)}: nobody watching, then watchers`,
    );
    for (let pair = 0; pair < pairs; pair++) {
      phases.push(await measure({ isWatched: false, churnPrograms: 0 }));
      phases.push(await measure({ isWatched: true, churnPrograms: 0 }));
    }
    progress(`the same with one restart every ${formatMs(CHURN_INTERVAL_MS)}`);
    for (let pair = 0; pair < pairs; pair++) {
      phases.push(await measure({ isWatched: false, churnPrograms: programCount }));
      phases.push(await measure({ isWatched: true, churnPrograms: programCount }));
    }

    const atRest = phases.filter((phase) => !phase.isChurning);
    const unwatched = atRest.filter((phase) => !phase.isWatched);
    const watched = atRest.filter((phase) => phase.isWatched);
    const churned = phases.filter((phase) => phase.isChurning);
    const churnCpuAdded =
      median(churned.filter((phase) => phase.isWatched).map((phase) => phase.cpuPercent)) -
      median(churned.filter((phase) => !phase.isWatched).map((phase) => phase.cpuPercent));
    const cpuAdded =
      median(watched.map((phase) => phase.cpuPercent)) -
      median(unwatched.map((phase) => phase.cpuPercent));
    // The first phase can still hold the garbage of starting 100 programs (V8 gives it back at
    // its next major GC), so no single phase is the baseline: the smallest unwatched one is.
    const rssAddedKib =
      Math.max(...watched.map((phase) => phase.rssKib)) -
      Math.min(...unwatched.map((phase) => phase.rssKib));
    const targets = [
      checkTarget(
        `watchers add ≤ ${TARGET_CPU_PERCENT} % of one core to the daemon (${programCount} programs)`,
        cpuAdded,
        (value) => value <= TARGET_CPU_PERCENT,
        `${formatSignedPercent(cpuAdded)} of one core`,
      ),
      checkTarget(
        `watchers add ≤ ${TARGET_RSS_MIB} MiB to the daemon's RSS (${programCount} programs)`,
        rssAddedKib,
        (value) => value <= TARGET_RSS_MIB * 1024,
        `${rssAddedKib >= 0 ? '+' : ''}${formatKib(rssAddedKib)} (largest watched − smallest unwatched, at rest)`,
      ),
    ];
    const rows = phases.map((phase, index) => [
      String(index + 1),
      phase.isChurning ? `1 per ${CHURN_INTERVAL_MS / 1000} s` : 'none',
      phase.isWatched ? watchersLabel : 'nobody watching',
      `${phase.cpuPercent.toFixed(2)} %`,
      formatKib(phase.rssKib),
      formatMs(phase.wallMs),
      phase.isWatched ? `${phase.streamBytes} B` : '—',
      phase.isWatched ? String(phase.polls) : '—',
    ]);
    const report = [
      `## 10. Cost of watching: the daemon with ${programCount} idle programs, watched and not`,
      '',
      formatTable(
        [
          'phase',
          'restarts',
          'watchers',
          'daemon CPU (one core)',
          'daemon RSS',
          'length',
          'streamed',
          'polls',
        ],
        rows,
      ),
      '',
      `CPU: the daemon's utime + stime over each phase (clock ticks of ${1000 / CLOCK_TICKS_PER_S} ms). RSS: median of`,
      `VmRSS sampled every ${RSS_SAMPLE_MS / 1000} s. Added CPU = median of watched phases − median of unwatched ones;`,
      'added RSS = the largest watched phase − the smallest unwatched one (both at rest).',
      dashboardNote,
      `The programs are idle (\`${IDLE_COMMAND.command}\`), so the streams carry few events: this is the cost of`,
      'being watched at rest.',
      `With one restart per ${CHURN_INTERVAL_MS / 1000} s (a POST /v1/programs/idle-N/restart from this process, watched or not),`,
      `the watchers add ${formatSignedPercent(churnCpuAdded)} of one core (median watched − median unwatched, churn phases; no target).`,
      `Helper processes of the daemon (not managed programs): ${helpers.length}${helpers.length > 0 ? ' (not counted above)' : ''}.`,
      options.isQuick ? `quick run: ${programCount} programs, not 100` : '',
      '',
      formatTargetTable(targets),
    ].join('\n');
    console.log(`${report}\n`);
    return { name: 'event-cost', report, targets };
  } finally {
    await dashboard?.close();
    await tend.shutdown();
  }
}

/** One phase: connects the watchers and starts the churn its plan asks for, then samples the daemon for `phaseMs`. */
async function measurePhase(
  tend: TendManager,
  daemonPid: number,
  phaseMs: number,
  plan: PhasePlan,
  dashboard: DashboardViewer | undefined,
): Promise<PhaseFigures> {
  const socketPath = join(tend.home, 'tend.sock');
  const clients: EventStreamClient[] = [];
  let polls = 0;
  let poller: NodeJS.Timeout | undefined;
  let churner: NodeJS.Timeout | undefined;
  try {
    if (plan.churnPrograms > 0) {
      let next = 0;
      churner = setInterval(() => {
        const path = `/v1/programs/idle-${next++ % plan.churnPrograms}/restart`;
        void askDaemon(socketPath, 'POST', path).catch((error: Error) =>
          console.error(`POST ${path}: ${error.message}`),
        );
      }, CHURN_INTERVAL_MS);
    }
    if (plan.isWatched) {
      const streams = EVENT_CLIENTS + (dashboard ? 0 : DASHBOARD_STAND_IN_CLIENTS);
      for (let index = 0; index < streams; index++)
        clients.push(await EventStreamClient.open(socketPath));
      if (dashboard) await dashboard.open();
      else
        poller = setInterval(() => {
          polls += 1;
          void askDaemon(socketPath, 'GET', '/v1/programs').catch((error: Error) =>
            console.error(`GET /v1/programs: ${error.message}`),
          );
        }, DASHBOARD_POLL_MS);
    }
    const bytesBefore = clients.reduce((sum, client) => sum + client.bytes, 0);
    const cpuBefore = processCpuMs(daemonPid);
    const startedAt = performance.now();
    const rss: number[] = [];
    while (performance.now() - startedAt < phaseMs) {
      await delay(RSS_SAMPLE_MS);
      rss.push(readRssKib(daemonPid));
    }
    const wallMs = performance.now() - startedAt;
    const cpuMs = processCpuMs(daemonPid) - cpuBefore;
    const failed = clients.find((client) => client.failure);
    if (failed)
      throw new Error(`an event stream ended during the phase: ${failed.failure?.message}`);
    return {
      isWatched: plan.isWatched,
      isChurning: plan.churnPrograms > 0,
      cpuPercent: (cpuMs / wallMs) * 100,
      rssKib: median(rss),
      wallMs,
      streamBytes: clients.reduce((sum, client) => sum + client.bytes, 0) - bytesBefore,
      polls,
    };
  } finally {
    clearInterval(poller);
    clearInterval(churner);
    await dashboard?.closePage();
    for (const client of clients) client.close();
  }
}

/** A percentage with its sign, such as `+0.82 %` or `-1.00 %` (a value that rounds to zero shows as `+0.00 %`). */
function formatSignedPercent(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const shown = value.toFixed(2);
  return shown.startsWith('-') && Number(shown) !== 0
    ? `${shown} %`
    : `+${shown.replace('-', '')} %`;
}

/** A request without a body on the daemon's socket; the answer is read and dropped. */
function askDaemon(socketPath: string, method: 'GET' | 'POST', path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

runIfMain(import.meta.url, runEventCost);
