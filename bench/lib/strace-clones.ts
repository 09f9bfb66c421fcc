import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';
import { awaitExit, killQuietly } from './exec.js';
import { findCommand } from './system-tools.js';

/** strace's path, or undefined on a machine without it (the benchmarks then leave its column out). */
export const STRACE_BIN = findCommand('strace', ['/usr/bin/strace']);

const ATTACH_TIMEOUT_MS = 10_000;

/** A running trace: `stop` detaches and returns how long each fork took, in ms, in call order. */
export interface CloneTrace {
  stop(): Promise<number[]>;
}

/**
 * Attaches strace to the main thread of `pid` (not `-f`: neither its other threads nor its
 * children are traced) and records how long each of its forks takes, from strace's `-T` (time
 * between the call's entry and its return; libuv's spawn forks on the main thread). Tracing
 * stops the process at every system call, so what happens around the forks is slower than
 * untraced, but not the forks themselves.
 */
export async function traceClones(pid: number): Promise<CloneTrace> {
  if (!STRACE_BIN) throw new Error('strace is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'bench-strace-'));
  const output = join(dir, 'trace');
  const strace = spawn(
    STRACE_BIN,
    ['-T', '-e', 'trace=clone,clone3,fork,vfork', '-o', output, '-p', String(pid)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const cleanup = onCleanup(`strace ${strace.pid}`, async () => {
    if (strace.pid !== undefined && strace.exitCode === null) killQuietly(strace.pid, 'SIGINT');
    await awaitExit(strace);
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    await attached(strace);
  } catch (error) {
    await cleanup.runNow();
    throw error;
  }
  return {
    async stop() {
      if (strace.pid !== undefined && strace.exitCode === null) killQuietly(strace.pid, 'SIGINT');
      await awaitExit(strace);
      try {
        return parseCloneTimes(readFileSync(output, 'utf8'));
      } finally {
        await cleanup.runNow();
      }
    },
  };
}

/** The `<seconds>` of each completed clone/fork line of strace's `-T` output, in ms. */
export function parseCloneTimes(trace: string): number[] {
  const times: number[] = [];
  for (const line of trace.split('\n')) {
    const match = /^(?:clone3?|v?fork)\(.*= \d+ <([\d.]+)>$/.exec(line);
    if (match?.[1]) times.push(Number(match[1]) * 1000);
  }
  return times;
}

/** Resolves once strace says it has attached (it prints `Process N attached` on stderr). */
function attached(strace: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(
      () => reject(new Error(`strace did not attach: ${said.trim()}`)),
      ATTACH_TIMEOUT_MS,
    );
    strace.stderr?.setEncoding('utf8');
    strace.stderr?.on('data', (chunk: string) => {
      said += chunk;
      if (/attached/.test(said)) {
        clearTimeout(timer);
        resolve();
      }
    });
    strace.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`strace exited before attaching: ${said.trim()}`));
    });
  });
}
