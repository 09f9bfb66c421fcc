import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';
import { runCommand } from './exec.js';
import { findCommand, INSTALL_HINT } from './system-tools.js';

/** One wrk run as its Lua `done` hook reports it. */
export interface WrkOutcome {
  /** Complete responses, whatever their status. */
  responses: number;
  /** Of those, responses whose status was not 2xx or 3xx. */
  non2xx: number;
  /**
   * wrk's socket errors. `read` includes a connection closed (FIN or RST) before the response
   * ended (checked against a server that closes every other request); a refused connection
   * shows up as `write` (its connect is non-blocking), not `connect`.
   */
  errors: { connect: number; read: number; write: number; timeout: number };
  durationMs: number;
  /** Complete 2xx/3xx responses a second. */
  successPerSecond: number;
  /** Latency of complete responses in ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

/** A wrk load run against 127.0.0.1. */
export interface WrkOptions {
  port: number;
  path?: string;
  connections: number;
  threads: number;
  durationS: number;
  /** wrk's per-request timeout; later responses count as `timeout` errors. */
  timeoutS?: number;
}

const WRK_REPORT_MARK = 'WRK_JSON ';
const DONE_HOOK = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${WRK_REPORT_MARK}{"responses":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

let scriptPath: string | undefined;

/** wrk's path, or undefined when it is not installed. */
export function findWrk(): string | undefined {
  return findCommand('wrk');
}

/** wrk's version, such as `wrk debian/4.1.0-3+b2` (it prints it with its usage, and exits 1). */
export function wrkVersion(): string {
  const wrk = findWrk();
  if (!wrk) return 'wrk not installed';
  const result = spawnSync(wrk, ['--version'], { encoding: 'utf8' });
  return /^wrk \S+/m.exec(`${result.stdout}${result.stderr}`)?.[0] ?? 'wrk (unknown version)';
}

/** Runs wrk and reads its figures from the Lua report (no scraping of its human output). */
export async function runWrk(options: WrkOptions): Promise<WrkOutcome> {
  const wrk = findWrk();
  if (!wrk) throw new Error(`wrk not found: ${INSTALL_HINT}`);
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationS}s`,
    `--timeout`,
    `${options.timeoutS ?? 10}s`,
    '-s',
    reportScript(),
    `http://127.0.0.1:${options.port}${options.path ?? '/'}`,
  ];
  const outcome = await runCommand(wrk, args, { timeoutMs: (options.durationS + 30) * 1000 });
  const line = outcome.stdout.split('\n').find((text) => text.startsWith(WRK_REPORT_MARK));
  if (!line) throw new Error(`wrk printed no report: ${outcome.stdout} ${outcome.stderr}`);
  const raw = JSON.parse(line.slice(WRK_REPORT_MARK.length)) as Record<string, number>;
  const field = (name: string): number => raw[name] ?? Number.NaN;
  const durationMs = field('durationUs') / 1000;
  const responses = field('responses');
  const non2xx = field('status');
  return {
    responses,
    non2xx,
    errors: {
      connect: field('connect'),
      read: field('read'),
      write: field('write'),
      timeout: field('timeout'),
    },
    durationMs,
    successPerSecond: ((responses - non2xx) * 1000) / durationMs,
    latencyMs: {
      p50: field('p50') / 1000,
      p90: field('p90') / 1000,
      p99: field('p99') / 1000,
      max: field('max') / 1000,
    },
  };
}

/** All of wrk's socket errors plus its non-2xx responses. */
export function countWrkFailures(outcome: WrkOutcome): number {
  const { connect, read, write, timeout } = outcome.errors;
  return connect + read + write + timeout + outcome.non2xx;
}

function reportScript(): string {
  if (scriptPath) return scriptPath;
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  const path = join(dir, 'report.lua');
  writeFileSync(path, DONE_HOOK);
  scriptPath = path;
  onCleanup(`remove ${dir}`, () => {
    rmSync(dir, { recursive: true, force: true });
    scriptPath = undefined;
  });
  return path;
}
