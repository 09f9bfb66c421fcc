/**
 * Benchmark 6: a program writes numbered lines to stdout as fast as the pipe takes them, in big
 * writes and then one line per write. Under each manager, count the lines that reach the log files,
 * the lines lost, duplicated or garbled, and the rate from the program's start to the last line
 * being in the file.
 */
import {
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { formatCount, formatMs, formatRatio, formatTable } from './lib/format.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath } from './lib/paths.js';
import { pollUntil } from './lib/probes.js';
import { type BenchResult, checkTarget, type TargetCheck } from './lib/result.js';
import { median, ratio } from './lib/stats.js';

const TAIL_PROBE_INTERVAL_MS = 5;
/** How the program writes: many lines per write() call, or one. */
const WRITE_SIZES = [1000, 1] as const;
const TAIL_BYTES = 128;
/** tend stores each line as `<ISO-8601 time> <line>`; PM2 stores the line as is. */
const TEND_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (.*)$/;

interface FloodFigures {
  linesStored: number;
  distinct: number;
  lost: number;
  duplicates: number;
  garbled: number;
  outOfOrder: number;
  bytes: number;
  files: number;
  /** Program start to the last line in the file. */
  elapsedMs: number;
  /** Program start to its last write returning. */
  writerMs: number;
  lastLineSeen: boolean;
}

/** Floods stdout under each manager and checks what reached the log files. */
export async function runLogFlood(options: BenchOptions): Promise<BenchResult> {
  const count = options.isQuick ? 200_000 : 1_000_000;
  const timeoutMs = options.isQuick ? 60_000 : 180_000;
  const rounds = options.isQuick ? 1 : 3;
  const statsDir = mkdtempSync(join(tmpdir(), 'bench-flood-'));
  try {
    return await withManagers(async (managers) => {
      const reports: string[] = [];
      const targets: TargetCheck[] = [];
      for (const linesPerWrite of WRITE_SIZES) {
        const runs = new Map<string, FloodFigures[] | Error>();
        for (let round = 0; round < rounds; round++) {
          for (const manager of managers) {
            const done = runs.get(manager.label) ?? [];
            if (done instanceof Error) continue;
            progress(
              `${manager.label}: ${formatCount(count)} lines, ${linesPerWrite} per write, round ${round + 1}`,
            );
            const statsFile = join(statsDir, `${manager.label}-${linesPerWrite}-${round}.json`);
            const flood = { count, linesPerWrite, round, statsFile, timeoutMs };
            const figures = await attempt(manager.label, () => floodUnder(manager, flood));
            runs.set(manager.label, figures instanceof Error ? figures : [...done, figures]);
          }
        }
        const figures = new Map<string, FloodFigures | Error>();
        for (const [label, done] of runs)
          figures.set(label, done instanceof Error ? done : combineRounds(done));
        const summary = summarize(figures, linesPerWrite, rounds);
        reports.push(summary.report);
        targets.push(...summary.targets);
      }
      const report = [
        `## 6. Log flood: ${formatCount(count)} numbered lines to stdout`,
        '',
        ...reports,
        'lines/s = distinct lines stored ÷ (program start → last line seen in the file, probed every 5 ms)',
        '"writer done" is when the program\'s last write returned; a gap to the column before is output the manager still had to store',
      ].join('\n');
      console.log(`${report}\n`);
      return { name: 'log-flood', report, targets };
    });
  } finally {
    rmSync(statsDir, { recursive: true, force: true });
  }
}

interface Flood {
  count: number;
  linesPerWrite: number;
  round: number;
  statsFile: string;
  timeoutMs: number;
}

async function floodUnder(manager: ProcessManager, flood: Flood): Promise<FloodFigures> {
  const { count, linesPerWrite, round, statsFile, timeoutMs } = flood;
  await manager.ensureDaemon();
  const name = `flood-${linesPerWrite}-${round}`;
  const args = [fixturePath('flood'), String(count), String(linesPerWrite), statsFile];
  // `tend start` otherwise waits out the program's minimum uptime (1 s) before it returns, and
  // the probe below starts only then; PM2's start returns at once.
  await manager.start({
    name,
    command: process.execPath,
    args,
    extraFlags: { tend: ['--no-wait'] },
  });
  const lastLine = String(count);
  let lastSeenAt = Date.now();
  let lastSize = -1;
  const isLastLineSeen = await pollUntil(
    `the last line in ${manager.label}'s log`,
    () => {
      const files = manager.outLogFiles(name);
      if (files.some((file) => endsWithLine(file, lastLine, manager.label))) return true;
      const size = files.reduce((sum, file) => sum + fileSize(file), 0);
      if (size !== lastSize) {
        lastSize = size;
        lastSeenAt = Date.now();
      }
      return undefined;
    },
    { intervalMs: TAIL_PROBE_INTERVAL_MS, timeoutMs },
  ).catch(() => false);
  const endAt = isLastLineSeen ? Date.now() : lastSeenAt;
  // Give lines that might still trail the last one a moment to land before counting.
  await delay(500);
  const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as {
    startedAt: number;
    finishedAt: number;
  };
  const counted = countLines(manager.outLogFiles(name), count, manager.label);
  await manager.delete(name);
  return {
    ...counted,
    elapsedMs: endAt - stats.startedAt,
    writerMs: stats.finishedAt - stats.startedAt,
    lastLineSeen: isLastLineSeen,
  };
}

function fileSize(file: string): number {
  try {
    const fd = openSync(file, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}

function endsWithLine(file: string, line: string, label: ProcessManager['label']): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const tail = buffer.toString('latin1');
    const expected = label === 'tend' ? ` ${line}\n` : `\n${line}\n`;
    return tail.endsWith(expected);
  } finally {
    closeSync(fd);
  }
}

function countLines(
  files: readonly string[],
  count: number,
  label: ProcessManager['label'],
): Omit<FloodFigures, 'elapsedMs' | 'writerMs' | 'lastLineSeen'> {
  const seen = new Uint8Array(count + 1);
  let linesStored = 0;
  let duplicates = 0;
  let garbled = 0;
  let outOfOrder = 0;
  let bytes = 0;
  // Oldest rotated file first (….log.4 … ….log.1, then ….log), so order can be checked across files.
  const ordered = [...files].sort((a, b) => generation(b) - generation(a));
  let previous = 0;
  for (const file of ordered) {
    const text = readFileSync(file, 'latin1');
    bytes += text.length;
    for (const stored of text.split('\n')) {
      if (stored === '') continue;
      linesStored++;
      const body = label === 'tend' ? TEND_LINE.exec(stored)?.[1] : stored;
      const value = body !== undefined && /^\d+$/.test(body) ? Number(body) : Number.NaN;
      if (!(value >= 1 && value <= count)) {
        garbled++;
        continue;
      }
      if (seen[value]) duplicates++;
      seen[value] = 1;
      if (value < previous) outOfOrder++;
      previous = value;
    }
  }
  let distinct = 0;
  for (let value = 1; value <= count; value++) distinct += seen[value] ?? 0;
  return {
    linesStored,
    distinct,
    lost: count - distinct,
    duplicates,
    garbled,
    outOfOrder,
    bytes,
    files: files.length,
  };
}

function generation(file: string): number {
  const match = /\.log\.(\d+)$/.exec(file);
  return match ? Number(match[1]) : 0;
}

/** One row for several rounds: the worst loss of any round, the median times. */
function combineRounds(runs: readonly FloodFigures[]): FloodFigures {
  const worst = (pick: (run: FloodFigures) => number) => Math.max(...runs.map(pick));
  const first = runs[0] as FloodFigures;
  return {
    ...first,
    distinct: Math.min(...runs.map((run) => run.distinct)),
    lost: worst((run) => run.lost),
    duplicates: worst((run) => run.duplicates),
    garbled: worst((run) => run.garbled),
    outOfOrder: worst((run) => run.outOfOrder),
    elapsedMs: median(runs.map((run) => run.elapsedMs)),
    writerMs: median(runs.map((run) => run.writerMs)),
    lastLineSeen: runs.every((run) => run.lastLineSeen),
  };
}

function summarize(
  figures: Map<string, FloodFigures | Error>,
  linesPerWrite: number,
  rounds: number,
): { report: string; targets: TargetCheck[] } {
  const rows: string[][] = [];
  const notes: string[] = [];
  const rates = new Map<string, number>();
  for (const [label, value] of figures) {
    if (value instanceof Error) {
      notes.push(`${label}: not measured: ${oneLine(value)}`);
      continue;
    }
    const rate = (value.distinct / value.elapsedMs) * 1000;
    rates.set(label, rate);
    rows.push([
      label,
      formatCount(value.distinct),
      formatCount(value.lost),
      formatCount(value.duplicates),
      formatCount(value.garbled),
      formatCount(value.outOfOrder),
      formatMs(value.elapsedMs),
      formatMs(value.writerMs),
      formatCount(rate),
      `${(value.bytes / 1024 / 1024).toFixed(1)} MiB in ${value.files}`,
    ]);
    if (!value.lastLineSeen) {
      notes.push(
        `${label}: the last line never reached the log; elapsed is up to the last growth of the files`,
      );
    }
  }
  const tend = figures.get('tend');
  const tendRate = rates.get('tend') ?? Number.NaN;
  const pm2Rate = rates.get('pm2') ?? Number.NaN;
  const variant = `${linesPerWrite} line${linesPerWrite === 1 ? '' : 's'} per write`;
  const isTendMeasured = tend !== undefined && !(tend instanceof Error);
  const targets: TargetCheck[] = [
    checkTarget(
      `tend loses 0 lines (${variant})`,
      isTendMeasured ? tend.lost + tend.garbled : Number.NaN,
      (lost) => lost === 0,
      isTendMeasured
        ? `${formatCount(tend.lost)} lost, ${formatCount(tend.garbled)} garbled`
        : 'n/a',
    ),
    checkTarget(
      `tend lines/s ≥ PM2 lines/s (${variant})`,
      ratio(tendRate, pm2Rate),
      (value) => value >= 1,
      `${formatRatio(ratio(tendRate, pm2Rate))} (${formatCount(tendRate)} vs ${formatCount(pm2Rate)} lines/s)`,
    ),
  ];
  const report = [
    `### ${variant} (${rounds === 1 ? '1 round' : `median of ${rounds} rounds, interleaved; losses are the worst round`})`,
    '',
    formatTable(
      [
        'manager',
        'stored',
        'lost',
        'dup',
        'garbled',
        'out of order',
        'start → last line',
        'writer done',
        'lines/s',
        'log size',
      ],
      rows,
    ),
    '',
    ...notes,
    ...(notes.length > 0 ? [''] : []),
  ].join('\n');
  return { report, targets };
}

runIfMain(import.meta.url, runLogFlood);
