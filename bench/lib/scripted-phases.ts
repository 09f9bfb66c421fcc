import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { onCleanup } from './cleanup.js';
import { killQuietly } from './exec.js';

/** How long a phase took: starting the processes, then stopping them, in ms. */
export interface PhaseTimes {
  startMs: number;
  deleteMs: number;
}

/** A contender that starts and stops its processes itself, told what to do on its stdin. */
export interface ScriptedContender {
  command: string;
  args: readonly string[];
  /** Whether it prints `ready` once loaded and waits for `start` (its load is then not timed). */
  hasReadyLine: boolean;
  /** Ends its processes (by pid) if a run is interrupted. */
  killLeftovers(): void;
}

/** How the benchmark learns that a phase's processes are all there (or all gone). */
export interface PhaseProbes {
  allRunning(): Promise<number>;
  noneRunning(): Promise<number>;
}

/**
 * Times one start and stop of a contender that speaks the line protocol of
 * bench/fixtures/spawn-floor.ts (`start` → `started`, `stop` → `stopped`; a shell script reads
 * any line as `stop`). A phase ends when the contender said so and the probe agrees. `onLoaded`
 * runs once a contender with a ready line is loaded, before the start is timed, and `afterStart`
 * between the phases, untimed (a tracer attaches and detaches there).
 */
export async function timeScripted(
  contender: ScriptedContender,
  probes: PhaseProbes,
  hooks: {
    onLoaded?: (child: ChildProcess) => Promise<void>;
    afterStart?: () => Promise<void>;
  } = {},
): Promise<PhaseTimes> {
  let startAt = performance.now();
  const child = spawn(contender.command, contender.args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const cleanup = onCleanup(`${contender.command} ${child.pid}`, () => {
    contender.killLeftovers();
    if (child.pid !== undefined && child.exitCode === null) killQuietly(child.pid, 'SIGKILL');
  });
  try {
    const lines = lineReader(child);
    if (contender.hasReadyLine) {
      await lines.next('ready');
      await hooks.onLoaded?.(child);
      startAt = performance.now();
      child.stdin?.write('start\n');
    }
    const seenAll = probes.allRunning();
    await lines.next('started');
    const startedAt = Math.max(performance.now(), await seenAll);
    await hooks.afterStart?.();
    const deleteAt = performance.now();
    const seenNone = probes.noneRunning();
    child.stdin?.end('stop\n');
    await lines.next('stopped');
    const deletedAt = Math.max(performance.now(), await seenNone);
    return { startMs: startedAt - startAt, deleteMs: deletedAt - deleteAt };
  } finally {
    await cleanup.runNow();
  }
}

/** Awaits lines on a child's stdout; a line that came before it was awaited counts too. */
function lineReader(child: ChildProcess): { next(expected: string): Promise<void> } {
  let buffered = '';
  const seen = new Set<string>();
  const waiting = new Map<string, () => void>();
  const exited = new Promise<never>((_resolve, reject) =>
    child.once('close', (code, signal) =>
      reject(new Error(`${child.spawnfile} exited early (${signal ?? `code ${code}`})`)),
    ),
  );
  exited.catch(() => {});
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
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
      Promise.race([
        new Promise<void>((resolve) => {
          if (seen.has(expected)) resolve();
          else waiting.set(expected, resolve);
        }),
        exited,
      ]),
  };
}
