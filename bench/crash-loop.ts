/**
 * Benchmark 4: a program that crashes at once on every start, and one that runs a while and then
 * crashes on every later start. Samples each manager's restart count and status over a window:
 * how fast it restarts over time, and whether and when it gives up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { formatTable } from './lib/format.js';
import { attempt, oneLine, progress, runIfMain } from './lib/main.js';
import type { ManagedInstance, ProcessManager } from './lib/manager.js';
import { withManagers } from './lib/managers.js';
import type { BenchOptions } from './lib/options.js';
import { fixturePath } from './lib/paths.js';
import type { BenchResult, TargetCheck } from './lib/result.js';
import { TendManager } from './lib/tend.js';

const SAMPLE_INTERVAL_MS = 500;
/** After the window, how long to keep watching for tend to give up, and how often. */
const MAX_WATCH_MS = 150_000;
const WATCH_SAMPLE_INTERVAL_MS = 1000;
/** Statuses in which a manager has stopped restarting on its own. */
const GAVE_UP_STATUSES: Readonly<Record<ProcessManager['label'], readonly string[]>> = {
  tend: ['errored'],
  pm2: ['errored', 'stopped'],
};

interface CrashCase {
  name: string;
  description: string;
  args: (markerDir: string, manager: ProcessManager) => string[];
}

interface Sample {
  atMs: number;
  restarts: number;
  status: string;
}

interface Track {
  manager: ProcessManager;
  crashCase: CrashCase;
  startedAt: number;
  samples: Sample[];
  exitGapsMs: number[] | null;
  error?: string;
}

/** Runs both crash programs under every manager at once and samples restarts over the window. */
export async function runCrashLoop(options: BenchOptions): Promise<BenchResult> {
  const windowMs = options.isQuick ? 15_000 : 40_000;
  const firstRunMs = options.isQuick ? 5_000 : 20_000;
  const bucketMs = options.isQuick ? 2_500 : 5_000;
  // With the default backoff (100 ms doubling, capped at 30 s) the 11th young death, and so
  // `errored`, comes about 80 s after the loop starts: past the window, so watch on until then.
  const watchMs = options.isQuick ? windowMs : MAX_WATCH_MS;
  const crash = fixturePath('crash');
  const cases: CrashCase[] = [
    { name: 'crash-now', description: 'exits 1 at once on every start', args: () => [crash] },
    {
      name: 'crash-later',
      description: `runs ${firstRunMs / 1000} s, then exits 1 at once on every start`,
      args: (markerDir, manager) => [
        crash,
        String(firstRunMs),
        join(markerDir, `${manager.label}.marker`),
      ],
    },
  ];
  const markerDir = mkdtempSync(join(tmpdir(), 'bench-crash-'));
  try {
    return await withManagers(async (managers) => {
      const tracks: Track[] = [];
      await Promise.all(
        managers.map(async (manager) => {
          const ready = await attempt(manager.label, () => manager.ensureDaemon());
          for (const crashCase of cases) {
            const track: Track = {
              manager,
              crashCase,
              startedAt: 0,
              samples: [],
              exitGapsMs: null,
            };
            tracks.push(track);
            if (ready instanceof Error) {
              track.error = oneLine(ready);
              continue;
            }
            const started = await attempt(manager.label, () =>
              manager.start({
                name: crashCase.name,
                command: process.execPath,
                args: crashCase.args(markerDir, manager),
              }),
            );
            if (started instanceof Error) track.error = oneLine(started);
            track.startedAt = performance.now();
          }
        }),
      );

      tracks.sort(
        (a, b) =>
          cases.indexOf(a.crashCase) - cases.indexOf(b.crashCase) ||
          a.manager.label.localeCompare(b.manager.label),
      );
      progress(`sampling restarts every ${SAMPLE_INTERVAL_MS} ms for ${windowMs / 1000} s`);
      const windowStart = performance.now();
      while (performance.now() - windowStart < windowMs) {
        await Promise.all(managers.map((manager) => sampleManager(manager, tracks)));
        await delay(SAMPLE_INTERVAL_MS);
      }
      if (watchMs > windowMs && !haveAllTendGivenUp(tracks)) {
        progress(`watching until tend gives up, at most ${watchMs / 1000} s in all`);
      }
      while (performance.now() - windowStart < watchMs && !haveAllTendGivenUp(tracks)) {
        await Promise.all(managers.map((manager) => sampleManager(manager, tracks)));
        await delay(WATCH_SAMPLE_INTERVAL_MS);
      }
      for (const track of tracks) {
        if (track.manager instanceof TendManager && !track.error) {
          const times = await attempt('tend status', () =>
            (track.manager as TendManager).exitTimes(track.crashCase.name),
          );
          if (!(times instanceof Error))
            track.exitGapsMs = times.slice(1).map((at, index) => at - (times[index] ?? at));
        }
      }
      return summarize(tracks, { windowMs, bucketMs, watchMs });
    });
  } finally {
    rmSync(markerDir, { recursive: true, force: true });
  }
}

/**
 * The sample from which the manager stopped restarting: every sample from it to the last is in a
 * gave-up status with the same restart count, and there are at least two (PM2 shows `stopped`
 * for a moment between two restarts, so one such sample proves nothing).
 */
function gaveUpSample(track: Track): Sample | undefined {
  const statuses = GAVE_UP_STATUSES[track.manager.label];
  let first: Sample | undefined;
  let count = 0;
  for (const sample of track.samples) {
    const isSame = first !== undefined && sample.restarts === first.restarts;
    if (!statuses.includes(sample.status)) {
      first = undefined;
      count = 0;
    } else if (isSame) {
      count++;
    } else {
      first = sample;
      count = 1;
    }
  }
  return count >= 2 ? first : undefined;
}

function haveAllTendGivenUp(tracks: readonly Track[]): boolean {
  return tracks.every(
    (track) => track.manager.label !== 'tend' || track.error !== undefined || gaveUpSample(track),
  );
}

async function sampleManager(manager: ProcessManager, tracks: Track[]): Promise<void> {
  const listed = await attempt(`${manager.label} list`, () => manager.list());
  if (listed instanceof Error) return;
  const now = performance.now();
  for (const track of tracks) {
    if (track.manager !== manager || track.error) continue;
    const instance: ManagedInstance | undefined = listed.find(
      (row) => row.name === track.crashCase.name,
    );
    if (instance)
      track.samples.push({
        atMs: now - track.startedAt,
        restarts: instance.restarts,
        status: instance.status,
      });
  }
}

function summarize(
  tracks: Track[],
  { windowMs, bucketMs, watchMs }: { windowMs: number; bucketMs: number; watchMs: number },
): BenchResult {
  const bucketCount = Math.ceil(windowMs / bucketMs);
  const bucketHeaders = Array.from(
    { length: bucketCount },
    (_, index) => `${(index * bucketMs) / 1000}–${((index + 1) * bucketMs) / 1000}s`,
  );
  const rows: string[][] = [];
  const notes: string[] = [];
  const targets: TargetCheck[] = [];
  for (const track of tracks) {
    const label = `${track.manager.label} ${track.crashCase.name}`;
    if (track.error) {
      notes.push(`${label}: not measured: ${track.error}`);
      continue;
    }
    const gaveUp = gaveUpSample(track);
    const last = track.samples.at(-1);
    const atWindowEnd = [...track.samples].reverse().find((sample) => sample.atMs <= windowMs);
    const rates = bucketHeaders.map((_, index) => {
      const from = restartsAt(track.samples, index * bucketMs);
      const to = restartsAt(track.samples, (index + 1) * bucketMs);
      return from === undefined || to === undefined
        ? '—'
        : ((to - from) / (bucketMs / 1000)).toFixed(1);
    });
    rows.push([
      label,
      ...rates,
      atWindowEnd ? `${atWindowEnd.restarts}, ${atWindowEnd.status}` : '—',
      last ? `${last.restarts}, ${last.status} (${(last.atMs / 1000).toFixed(0)} s)` : '—',
      gaveUp ? `${(gaveUp.atMs / 1000).toFixed(1)} s, after ${gaveUp.restarts}` : 'no',
    ]);
    if (track.exitGapsMs && track.exitGapsMs.length > 0) {
      notes.push(
        `${label}: gaps between exits (ms): ${track.exitGapsMs.map((gap) => Math.round(gap)).join(', ')}`,
      );
    }
    if (track.manager.label === 'tend') {
      const gaps = track.exitGapsMs ?? [];
      // Backoff shows as gaps between exits that keep growing; a steady loop keeps them equal.
      const hasBackoff =
        gaps.length >= 3 && (gaps.at(-1) ?? 0) > 2 * (gaps[0] ?? Number.POSITIVE_INFINITY);
      targets.push({
        target: `tend ${track.crashCase.name}: backs off`,
        isMet: track.exitGapsMs === null ? null : hasBackoff,
        measured:
          gaps.length > 0
            ? `gaps ${Math.round(gaps[0] ?? 0)} → ${Math.round(gaps.at(-1) ?? 0)} ms`
            : 'no exit history',
      });
      targets.push({
        target: `tend ${track.crashCase.name}: ends errored`,
        isMet: last ? gaveUp !== undefined : null,
        measured: gaveUp
          ? `errored after ${(gaveUp.atMs / 1000).toFixed(1)} s, ${gaveUp.restarts} restarts`
          : `still ${last?.status ?? '?'} at ${((last?.atMs ?? 0) / 1000).toFixed(0)} s, ${last?.restarts ?? '?'} restarts`,
      });
    }
  }
  const report = [
    `## 4. Crash loop: restarts per second over ${windowMs / 1000} s (sampled every ${SAMPLE_INTERVAL_MS} ms)`,
    '',
    ...tracks
      .filter(
        (track, index) =>
          tracks.findIndex((other) => other.crashCase === track.crashCase) === index,
      )
      .map((track) => `- ${track.crashCase.name}: ${track.crashCase.description}`),
    '',
    formatTable(
      [
        'manager / program',
        ...bucketHeaders,
        `at ${windowMs / 1000} s`,
        'last sample',
        'gave up at, after n restarts',
      ],
      rows,
    ),
    '',
    'columns per time span: restarts per second; "at …" and "last sample": restarts, status',
    ...(watchMs > windowMs
      ? [
          `after the window, sampling goes on every second until every tend program gave up (at most ${watchMs / 1000} s)`,
        ]
      : []),
    'both managers run with their default restart settings; PM2 runs the .js file in its fork container',
    'the four programs run at the same time, so a fast loop of one manager also loads the other',
    ...notes,
  ].join('\n');
  console.log(`${report}\n`);
  return { name: 'crash-loop', report, targets };
}

/** The restart count at `atMs` (that of the last sample taken by then), or undefined past the last sample. */
function restartsAt(samples: readonly Sample[], atMs: number): number | undefined {
  const lastAt = samples.at(-1)?.atMs ?? Number.NEGATIVE_INFINITY;
  if (atMs > lastAt + SAMPLE_INTERVAL_MS) return undefined;
  let found = 0;
  for (const sample of samples) if (sample.atMs <= atMs) found = sample.restarts;
  return found;
}

runIfMain(import.meta.url, runCrashLoop);
