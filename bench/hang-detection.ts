/**
 * Benchmark (issue 8): how fast a frozen server is replaced. An HTTP server under tend with a
 * liveness probe (period 1 s, threshold 3, timeout 1 s) is frozen with SIGSTOP; measured is the
 * time from the freeze until a fresh instance answers an HTTP GET on its port. The bound is
 * period × threshold + timeout + the program's own start time (measured in the same run, by
 * starting it directly) + 100 ms. PM2 has no liveness probe (a frozen process stays `online`
 * for ever), so there is no peer figure: tend is compared with the bound.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { awaitExit, killQuietly, spawnTracked } from './lib/exec.js';
import { formatMs, formatTable } from './lib/format.js';
import { progress, runIfMain } from './lib/main.js';
import { isTendAvailable } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath } from './lib/paths.js';
import { awaitPortOpen, findFreePort, pollUntil } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median } from './lib/stats.js';
import { formatTargetTable } from './lib/target-table.js';
import { TendManager } from './lib/tend.js';

const PERIOD_MS = 1000;
const THRESHOLD = 3;
const TIMEOUT_MS = 1000;
const SLACK_MS = 100;
/** How long one GET of the poll may wait: the frozen process never answers. */
const GET_TIMEOUT_MS = 200;
const POLL_MS = 2;

/** Freezes the server `rounds` times and times each replacement. */
export async function runHangDetection(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.isQuick ? 1 : 5;
  if (!isTendAvailable()) throw new Error('tend is not built: nothing to measure');
  const server = fixturePath('http-server');
  const tend = new TendManager();
  const startSamples: number[] = [];
  const detectSamples: number[] = [];
  try {
    await tend.ensureDaemon();
    const port = await findFreePort();
    await tend.start({
      name: 'frozen',
      command: process.execPath,
      args: [server],
      extraFlags: {
        tend: [
          '--port',
          String(port),
          '--liveness',
          'http:/',
          '--liveness-period',
          `${PERIOD_MS}ms`,
          '--liveness-timeout',
          `${TIMEOUT_MS}ms`,
          '--liveness-failures',
          String(THRESHOLD),
        ],
      },
    });
    for (let round = 0; round < rounds; round++) {
      startSamples.push(await timeDirectStart(server));
      const pid = await awaitOnline(tend);
      // A run shorter than min uptime would be restarted with backoff, which is not measured here.
      await delay(1500);
      progress(`round ${round + 1}/${rounds}: SIGSTOP to pid ${pid}`);
      const frozenAt = performance.now();
      process.kill(pid, 'SIGSTOP');
      await awaitAnswer(port, 30_000);
      detectSamples.push(performance.now() - frozenAt);
    }
  } finally {
    await tend.shutdown();
  }
  const startMs = median(startSamples);
  const boundMs = PERIOD_MS * THRESHOLD + TIMEOUT_MS + startMs + SLACK_MS;
  const worstMs = Math.max(...detectSamples);
  const targets = [
    checkTarget(
      `frozen → fresh instance answers ≤ period × threshold + timeout + start + ${SLACK_MS} ms`,
      worstMs,
      (value) => value <= boundMs,
      `worst ${formatMs(worstMs)}, median ${formatMs(median(detectSamples))} (bound ${formatMs(boundMs)})`,
    ),
  ];
  const report = [
    '## Hang detection: an HTTP server frozen by SIGSTOP, liveness http every 1 s, threshold 3',
    '',
    formatTable(
      ['what', 'median', 'worst', 'runs'],
      [
        [
          'program start (direct spawn → answers)',
          formatMs(startMs),
          formatMs(Math.max(...startSamples)),
          String(startSamples.length),
        ],
        [
          'SIGSTOP → a fresh instance answers',
          formatMs(median(detectSamples)),
          formatMs(worstMs),
          String(detectSamples.length),
        ],
        ['bound', formatMs(boundMs), '', ''],
      ],
    ),
    '',
    'PM2 has no liveness probe: a frozen process stays `online` until someone restarts it, so it has no figure here.',
    '',
    formatTargetTable(targets),
  ].join('\n');
  console.log(report);
  return { name: 'hang-detection', report, targets };
}

async function awaitOnline(tend: TendManager): Promise<number> {
  return pollUntil(
    'the frozen program online',
    async () => {
      const [instance] = await tend.list();
      return instance?.status === 'online' && instance.pid !== null ? instance.pid : undefined;
    },
    { intervalMs: 50, timeoutMs: 30_000 },
  );
}

async function timeDirectStart(server: string): Promise<number> {
  const port = await findFreePort();
  const startedAt = performance.now();
  const child = spawnTracked(process.execPath, [server, String(port)]);
  const answeredAt = await awaitPortOpen(port, 10_000);
  if (child.pid !== undefined) killQuietly(child.pid, 'SIGKILL');
  await awaitExit(child);
  return answeredAt - startedAt;
}

/** GETs 127.0.0.1:port until one is answered (the frozen process answers none; a connect alone proves nothing: the kernel accepts for it). */
async function awaitAnswer(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await isAnswered(port))) {
    if (performance.now() > deadline) throw new Error(`nothing answered on ${port}`);
    await delay(POLL_MS);
  }
}

function isAnswered(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.setTimeout(GET_TIMEOUT_MS, () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

runIfMain(import.meta.url, runHangDetection);
