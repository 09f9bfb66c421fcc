/** Runs every benchmark in turn (`npm run bench`, or `node dist/bench/run-all.js [--quick]`) and sums up the targets. */
import { performance } from 'node:perf_hooks';
import { runChaosAvailability } from './chaos-availability.js';
import { runCliLatency } from './cli-latency.js';
import { runCrashLoop } from './crash-loop.js';
import { runDaemonRss } from './daemon-rss.js';
import { runEventCost } from './event-cost.js';
import { runEventLatency } from './event-latency.js';
import { runHangDetection } from './hang-detection.js';
import { runHeartbeatHang } from './heartbeat-hang.js';
import { runCleanups } from './lib/cleanup.js';
import { formatMs, formatTable } from './lib/format.js';
import { describeMachine } from './lib/machine.js';
import type { Benchmark } from './lib/main.js';
import { parseBenchOptions } from './lib/options.js';
import { type BenchResult, formatVerdict } from './lib/result.js';
import { runLogFlood } from './log-flood.js';
import { runMembershipSend } from './membership-send.js';
import { runProbeCost } from './probe-cost.js';
import { runProxyConnections } from './proxy-connections.js';
import { runProxyThroughput } from './proxy-throughput.js';
import { runReloadUnderLoad } from './reload-under-load.js';
import { runRestart } from './restart.js';
import { runRestartCpu } from './restart-cpu.js';
import { runStartStop } from './start-stop.js';
import { runTaskHandshake } from './task-handshake.js';
import { runTaskPairs } from './task-pairs.js';

const BENCHMARKS: ReadonlyArray<[string, Benchmark]> = [
  ['cli-latency', runCliLatency],
  ['daemon-rss', runDaemonRss],
  ['restart', runRestart],
  ['restart-cpu', runRestartCpu],
  ['crash-loop', runCrashLoop],
  ['start-stop', runStartStop],
  ['log-flood', runLogFlood],
  ['chaos-availability', runChaosAvailability],
  ['proxy-throughput', runProxyThroughput],
  ['proxy-connections', runProxyConnections],
  ['event-latency', runEventLatency],
  ['event-cost', runEventCost],
  ['membership-send', runMembershipSend],
  ['heartbeat-hang', runHeartbeatHang],
  ['hang-detection', runHangDetection],
  ['probe-cost', runProbeCost],
  ['reload-under-load', runReloadUnderLoad],
  ['task-pairs', runTaskPairs],
  ['task-handshake', runTaskHandshake],
];

async function runAll(): Promise<void> {
  const options = parseBenchOptions();
  const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  console.log(`# tend vs PM2${options.isQuick ? ' (quick run)' : ''}\n`);
  for (const line of describeMachine()) console.log(line);
  console.log('');
  const startedAt = performance.now();
  const results: BenchResult[] = [];
  const failures: string[] = [];
  for (const [name, benchmark] of BENCHMARKS) {
    if (only.length > 0 && !only.includes(name)) continue;
    process.stderr.write(`${name}…\n`);
    try {
      results.push(await benchmark(options));
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      console.log(`## ${name}: FAILED\n\n${failures.at(-1)}\n`);
    } finally {
      await runCleanups();
    }
  }
  const rows = results.flatMap((result) =>
    result.targets.map((check) => [
      result.name,
      check.target,
      formatVerdict(check.isMet),
      check.measured,
    ]),
  );
  console.log('## Targets\n');
  console.log(formatTable(['benchmark', 'target', 'verdict', 'measured'], rows));
  console.log(`\nwhole run: ${formatMs(performance.now() - startedAt)}`);
  if (failures.length > 0) process.exitCode = 1;
}

void runAll();
