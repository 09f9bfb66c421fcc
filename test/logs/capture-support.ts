import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type ProgramSpec, ProgramSpecSchema } from '../../src/config/program-spec.js';
import type { LogManager } from '../../src/logs/log-manager.js';
import type { LogRecord } from '../../src/logs/types.js';
import { isProcessAlive, procState } from '../helpers/proc.js';

/** Safety net for awaited events; tests never wait this long unless something is broken. */
export const EVENT_TIMEOUT_MS = 15_000;

/** A defaulted spec for a `node -e` program. */
export function nodeProgram(
  name: string,
  overrides: Partial<{ logMaxBytes: number; logMaxFiles: number }> = {},
): ProgramSpec {
  return ProgramSpecSchema.parse({ name, command: process.execPath, cwd: '/', ...overrides });
}

/** A child started the way the runtime will: stdout/stderr from `openOutput`, daemon copies closed after spawn. */
export interface CapturedRun {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node -e script` as instance `instance` of `spec`, with its output captured by `manager`. */
export function runCaptured(
  t: TestContext,
  manager: LogManager,
  spec: ProgramSpec,
  instance: number,
  script: string,
): CapturedRun {
  const output = manager.openOutput({ spec, instance });
  const child = spawn(process.execPath, ['-e', script], {
    stdio: ['ignore', output.stdout, output.stderr],
  });
  output.afterSpawn(child.pid);
  const pid = child.pid;
  if (pid === undefined) throw new Error('node could not be spawned');
  t.after(() => killIfAlive(pid));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', reject);
    },
  );
  return { pid, exited };
}

/** Sends SIGKILL to a pid if it still runs. */
export function killIfAlive(pid: number): void {
  if (!isProcessAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // it ended meanwhile
  }
}

/**
 * Blocks the event loop until `pid` is a zombie: the process has exited but, since the loop
 * is blocked, tend has read none of what it left in the FIFO. A busy wait on /proc, not a sleep.
 */
export function blockUntilExited(pid: number): void {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (procState(pid) !== 'Z') {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not exit`);
  }
}

/**
 * Resolves once `pid` catches `signalNumber` (its SigCgt mask in /proc/<pid>/status), so that a
 * signal sent next reaches the handler rather than the default action. Nothing reports this as
 * an event, so /proc is read every 10 ms, up to the safety timeout.
 */
export async function untilCatching(pid: number, signalNumber: number): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  const bit = 1n << BigInt(signalNumber - 1);
  for (;;) {
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (mask !== undefined && (BigInt(`0x${mask}`) & bit) !== 0n) return;
    if (Date.now() > deadline)
      throw new Error(`process ${pid} never caught signal ${signalNumber}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the first followed line that matches, or rejects after the safety timeout. */
export function nextLine(
  manager: LogManager,
  matches: (record: LogRecord) => boolean,
): Promise<LogRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error('no matching line was followed in time'));
    }, EVENT_TIMEOUT_MS);
    const unsubscribe = manager.onLine((record) => {
      if (!matches(record)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(record);
    });
  });
}

/** Rejects if `promise` takes longer than the safety timeout. */
export async function withinTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen in time`)), EVENT_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The text of each stored line (timestamp prefix removed). */
export function storedTexts(content: string): string[] {
  const lines = content.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => line.slice(25));
}
