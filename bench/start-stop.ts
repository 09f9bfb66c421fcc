/**
 * Benchmark 5: start 100 idle processes and wait until all run, then delete them all and wait until
 * all are gone. tend and PM2 (`start --instances 100`, then `delete`) against a plain shell script
 * that starts the same 100 with `&`, then kills them and waits. Rounds are interleaved.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { onCleanup } from './lib/cleanup.js';
import { killQuietly, runCommand } from './lib/exec.js';
import { formatMs, formatRatio, formatTable } from './lib/format.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { pidsWithArgv } from './lib/probes.js';
import { type BenchResult, checkTarget } from './lib/result.js';
import { median, ratio } from './lib/stats.js';

const PROCESS_COUNT = 100;
/** Issue 9's target (the first runs aimed at 1.2×, which two node start-ups alone exceed). */
const TARGET_RATIO_TO_SHELL = 3;
const PROBE_INTERVAL_MS = 10;
const PHASE_TIMEOUT_MS = 60_000;

interface PhaseTimes {
  startMs: number;
  deleteMs: number;
}

/** Times starting and deleting 100 idle processes under each manager and a shell script. */
export async function runStartStop(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.isQuick ? 2 : 5;
  return withManagers(async (managers) => {
    const samples = new Map<string, PhaseTimes[]>([['shell', []]]);
    const failures = new Map<string, string>();
    for (const manager of managers) {
      samples.set(manager.label, []);
      const ready = await attempt(manager.label, () => manager.ensureDaemon());
      if (ready instanceof Error) failures.set(manager.label, oneLine(ready));
    }
    progress(
      `${rounds} interleaved rounds of ${PROCESS_COUNT} processes: shell, ${managers.map((m) => m.label).join(', ')}`,
    );
    // A distinct sleep duration per round and contender tells their processes apart in /proc.
    let marker = 200_000;
    const nodeFloor: number[] = [];
    for (let round = 0; round < rounds; round++) {
      samples.get('shell')?.push(await timeShell(String(marker++)));
      nodeFloor.push(await timeTwoNodeStarts());
      for (const manager of managers) {
        if (failures.has(manager.label)) continue;
        const times = await attempt(manager.label, () =>
          timeManager(manager, `bulk-${round}`, String(marker++)),
        );
        if (times instanceof Error) failures.set(manager.label, oneLine(times));
        else samples.get(manager.label)?.push(times);
      }
    }

    const shell = summarizePhases(samples.get('shell') ?? []);
    const rows: string[][] = [];
    for (const [label, values] of samples) {
      const figures = summarizePhases(values);
      rows.push([
        label === 'shell' ? 'shell script (floor)' : label,
        formatMs(figures.startMs),
        formatMs(figures.deleteMs),
        formatMs(figures.startMs + figures.deleteMs),
        formatRatio(ratio(figures.startMs + figures.deleteMs, shell.startMs + shell.deleteMs)),
      ]);
    }
    const twoNodeStarts = median(nodeFloor);
    rows.push([
      '2 × node -e 0 (reference)',
      '—',
      '—',
      formatMs(twoNodeStarts),
      formatRatio(ratio(twoNodeStarts, shell.startMs + shell.deleteMs)),
    ]);
    const tend = summarizePhases(samples.get('tend') ?? []);
    const tendRatio = ratio(tend.startMs + tend.deleteMs, shell.startMs + shell.deleteMs);
    const report = [
      `## 5. Start ${PROCESS_COUNT} idle processes, then delete them all (median of ${rounds} rounds, interleaved)`,
      '',
      formatTable(['what', 'start → all running', 'delete → all gone', 'total', '÷ shell'], rows),
      '',
      `managers: \`start --instances ${PROCESS_COUNT} -- sleep N\` (tend with \`--no-wait\`) then \`delete <name>\`; shell: \`sleep N &\` ×${PROCESS_COUNT}, then \`kill\` + \`wait\``,
      'the reference row is what any two CLI calls written in node cost before doing anything',
      `each phase ends when the command has returned and /proc shows all ${PROCESS_COUNT} processes (or none), probed every ${PROBE_INTERVAL_MS} ms`,
      ...[...failures].map(
        ([label, message]) => `${label}: not measured (or stopped early): ${message}`,
      ),
    ].join('\n');
    console.log(`${report}\n`);
    return {
      name: 'start-stop',
      report,
      targets: [
        checkTarget(
          `tend start + delete of ${PROCESS_COUNT} ≤ ${TARGET_RATIO_TO_SHELL}× the shell script`,
          tendRatio,
          (value) => value <= TARGET_RATIO_TO_SHELL,
          `${formatRatio(tendRatio)} (${formatMs(tend.startMs + tend.deleteMs)} vs ${formatMs(shell.startMs + shell.deleteMs)})`,
        ),
      ],
    };
  });
}

/** Two `node -e 0` in a row: the least that a start and a delete through a node CLI can cost. */
async function timeTwoNodeStarts(): Promise<number> {
  const first = await runCommand(process.execPath, ['-e', '0']);
  const second = await runCommand(process.execPath, ['-e', '0']);
  return first.elapsedMs + second.elapsedMs;
}

function summarizePhases(values: readonly PhaseTimes[]): PhaseTimes {
  return {
    startMs: median(values.map((v) => v.startMs)),
    deleteMs: median(values.map((v) => v.deleteMs)),
  };
}

function isSleepWith(marker: string): (argv: readonly string[]) => boolean {
  return (argv) => argv.length === 2 && basename(argv[0] ?? '') === 'sleep' && argv[1] === marker;
}

/** Resolves with performance.now() once `count` processes match, polling /proc. */
async function awaitProcessCount(marker: string, count: number): Promise<number> {
  const deadline = performance.now() + PHASE_TIMEOUT_MS;
  const isMatch = isSleepWith(marker);
  while (pidsWithArgv(isMatch).length !== count) {
    if (performance.now() > deadline)
      throw new Error(`never saw ${count} \`sleep ${marker}\` processes`);
    await delay(PROBE_INTERVAL_MS);
  }
  return performance.now();
}

async function timeManager(
  manager: ProcessManager,
  name: string,
  marker: string,
): Promise<PhaseTimes> {
  const startAt = performance.now();
  const seenAll = awaitProcessCount(marker, PROCESS_COUNT);
  await manager.start({
    name,
    command: 'sleep',
    args: [marker],
    instances: PROCESS_COUNT,
    // `tend start` otherwise stays to watch each new process run its minimum uptime (1 s), to
    // report one that dies at once; PM2's start returns without watching. Both end the phase
    // only once /proc shows all 100.
    extraFlags: { tend: ['--no-wait'] },
  });
  const startedAt = Math.max(performance.now(), await seenAll);
  const online = (await manager.list()).filter(
    (row) => row.name === name && row.status === 'online',
  );
  if (online.length !== PROCESS_COUNT)
    throw new Error(`${online.length} of ${PROCESS_COUNT} listed online after start`);
  const deleteAt = performance.now();
  const seenNone = awaitProcessCount(marker, 0);
  await manager.delete(name);
  const deletedAt = Math.max(performance.now(), await seenNone);
  return { startMs: startedAt - startAt, deleteMs: deletedAt - deleteAt };
}

async function timeShell(marker: string): Promise<PhaseTimes> {
  const script = [
    `for i in $(seq 1 ${PROCESS_COUNT}); do sleep ${marker} & done`,
    'echo started',
    'read -r _',
    'kill $(jobs -p)',
    'wait',
    'echo stopped',
  ].join('\n');
  const startAt = performance.now();
  const seenAll = awaitProcessCount(marker, PROCESS_COUNT);
  const shell = spawn('bash', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const cleanup = onCleanup(`shell ${shell.pid}`, () => {
    for (const pid of pidsWithArgv(isSleepWith(marker))) killQuietly(pid, 'SIGKILL');
    if (shell.pid !== undefined && shell.exitCode === null) killQuietly(shell.pid, 'SIGKILL');
  });
  try {
    const lines = lineReader(shell.stdout);
    await lines.next('started');
    const startedAt = Math.max(performance.now(), await seenAll);
    const deleteAt = performance.now();
    const seenNone = awaitProcessCount(marker, 0);
    shell.stdin.end('stop\n');
    await lines.next('stopped');
    const deletedAt = Math.max(performance.now(), await seenNone);
    return { startMs: startedAt - startAt, deleteMs: deletedAt - deleteAt };
  } finally {
    await cleanup.runNow();
  }
}

/** Awaits lines on a stream; a line that came before it was awaited counts too. */
function lineReader(stream: NodeJS.ReadableStream): { next(expected: string): Promise<void> } {
  let buffered = '';
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      seen.add(line);
      waiting.get(line)?.();
    }
  });
  return {
    next: (expected) =>
      new Promise((resolve) => {
        if (seen.has(expected)) resolve();
        else waiting.set(expected, resolve);
      }),
  };
}

runIfMain(import.meta.url, runStartStop);
