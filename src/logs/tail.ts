import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from './fifo.js';
import { parseStoredLine } from './log-format.js';
import { programLogDirectory, rotatedPath } from './log-paths.js';
import { readLastLines } from './read-last-lines.js';
import type { LogRecord, LogStream } from './types.js';

const LOG_FILE_PATTERN = /^(\d+)\.(out|err)\.log(?:\.\d+)?$/;

/**
 * The last `lines` stored lines of each instance of the given programs (its streams merged,
 * as PM2 shows N lines per process), then all of them merged by read time, oldest first.
 * Each file set is read backwards, current file first, then its rotated generations while
 * more lines are needed.
 */
export function tailLogs(
  home: string,
  names: readonly string[],
  lines: number,
  stream: LogStream | 'both',
): LogRecord[] {
  if (lines <= 0) return [];
  const perInstance: LogRecord[][] = [];
  for (const name of names) {
    const directory = programLogDirectory(home, name);
    const byInstance = new Map<number, LogRecord[][]>();
    for (const { instance, stream: found } of listLogSets(directory)) {
      if (stream !== 'both' && stream !== found) continue;
      const path = join(directory, `${instance}.${found}.log`);
      const sources = byInstance.get(instance) ?? [];
      sources.push(readLastRecords(path, lines, { name, instance, stream: found }));
      byInstance.set(instance, sources);
    }
    for (const sources of byInstance.values()) perInstance.push(mergeLatest(sources, lines));
  }
  return mergeLatest(perInstance, Number.POSITIVE_INFINITY);
}

/** The (instance, stream) pairs that have log files in a program's folder, in a stable order. */
function listLogSets(directory: string): Array<{ instance: number; stream: LogStream }> {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch (error) {
    if (isErrno(error, 'ENOENT') || isErrno(error, 'ENOTDIR')) return [];
    throw error;
  }
  const keys = new Set<string>();
  for (const entry of entries) {
    const match = LOG_FILE_PATTERN.exec(entry);
    if (match) keys.add(`${match[1]}.${match[2]}`);
  }
  return [...keys]
    .map((key) => {
      const [instance, stream] = key.split('.');
      return { instance: Number(instance), stream: stream as LogStream };
    })
    .sort(
      (a, b) =>
        a.instance - b.instance || (a.stream === b.stream ? 0 : a.stream === 'out' ? -1 : 1),
    );
}

/** The last `count` records of one stream of one instance, across its rotated files, oldest first. */
function readLastRecords(
  path: string,
  count: number,
  source: Omit<LogRecord, 'time' | 'line'>,
): LogRecord[] {
  let stored: string[] = [];
  for (let generation = 0; stored.length < count; generation++) {
    try {
      stored = readLastLines(rotatedPath(path, generation), count - stored.length).concat(stored);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
      // The current file may be missing while rotated ones exist; a missing older one ends the chain.
      if (generation > 0) break;
    }
  }
  let previousTime = 0;
  return stored.map((text) => {
    const { time, line } = parseStoredLine(text);
    const known = Number.isNaN(time) ? previousTime : time;
    previousTime = known;
    return { ...source, time: known, line };
  });
}

/**
 * The last `count` records of several sources by time (all of them for an infinite count).
 * Each source keeps its own order even if the clock stepped back: records are sorted by a key
 * that never decreases within a source, and the sort is stable.
 */
function mergeLatest(sources: readonly LogRecord[][], count: number): LogRecord[] {
  if (sources.length === 1) return (sources[0] ?? []).slice(-count);
  const keyed: Array<{ key: number; record: LogRecord }> = [];
  for (const records of sources) {
    let key = Number.NEGATIVE_INFINITY;
    for (const record of records) {
      key = Math.max(key, record.time);
      keyed.push({ key, record });
    }
  }
  keyed.sort((a, b) => a.key - b.key);
  return keyed.slice(-count).map(({ record }) => record);
}
