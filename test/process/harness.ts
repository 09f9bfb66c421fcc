import { closeSync, openSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  type ProgramSpec,
  type ProgramSpecInput,
  ProgramSpecSchema,
} from '../../src/config/program-spec.js';
import {
  createNodeRuntime,
  type NodeRuntime,
  type NodeRuntimeOptions,
} from '../../src/process/node-runtime.js';
import type {
  ProcessExit,
  SpawnOutcome,
  SpawnRequest,
  SupervisorRuntime,
} from '../../src/supervisor/types.js';
import { isProcessAlive, processGroupMembers } from '../helpers/proc.js';

/** Safety net for every await on a real process; tests normally finish far sooner. */
export const WAIT_TIMEOUT_MS = 10_000;

/** A program spec for a test, running node by default. */
export function makeSpec(cwd: string, input: Partial<ProgramSpecInput> = {}): ProgramSpec {
  return ProgramSpecSchema.parse({ name: 'fixture', command: process.execPath, cwd, ...input });
}

/** The real runtime writing each instance's output to `<dir>/<name>-<instance>.out|.err`, with a record of its calls. */
export interface TestRuntime {
  runtime: NodeRuntime;
  openOutputCalls: SpawnRequest[];
  afterSpawnCalls: (number | undefined)[];
  stdoutPath(name: string, instance?: number): string;
  stderrPath(name: string, instance?: number): string;
}

/** How the runtime holds descendants: cgroups for a home, or the /proc walk (the default without a home). */
export type ContainmentOptions = Pick<
  NodeRuntimeOptions,
  'home' | 'useCgroups' | 'cgroupHierarchies' | 'descendantScanIntervalMs'
>;

/** Builds the real runtime over temp-file fds (opened for each spawn, closed in afterSpawn). */
export function createTestRuntime(
  dir: string,
  env?: NodeJS.ProcessEnv,
  containment: ContainmentOptions = {},
): TestRuntime {
  const openOutputCalls: SpawnRequest[] = [];
  const afterSpawnCalls: (number | undefined)[] = [];
  const stdoutPath = (name: string, instance = 0) => join(dir, `${name}-${instance}.out`);
  const stderrPath = (name: string, instance = 0) => join(dir, `${name}-${instance}.err`);
  const runtime = createNodeRuntime({
    ...containment,
    env,
    openOutput: (request) => {
      openOutputCalls.push(request);
      const stdout = openSync(stdoutPath(request.spec.name, request.instance), 'a');
      const stderr = openSync(stderrPath(request.spec.name, request.instance), 'a');
      return {
        stdout,
        stderr,
        afterSpawn: (pid) => {
          afterSpawnCalls.push(pid);
          closeSync(stdout);
          closeSync(stderr);
        },
      };
    },
  });
  return { runtime, openOutputCalls, afterSpawnCalls, stdoutPath, stderrPath };
}

/** A spawn under test: its outcome, a promise of its exit, and how many times onExit was called. */
export interface StartedProcess {
  outcome: SpawnOutcome;
  pid: number;
  exited: Promise<ProcessExit>;
  exitCalls(): number;
}

/**
 * Spawns through the runtime and registers the cleanup: SIGKILL to the group while any of it
 * lives, then wait for the reap.
 */
export function startProcess(
  t: TestContext,
  runtime: SupervisorRuntime,
  spec: ProgramSpec,
  instance = 0,
): StartedProcess {
  let calls = 0;
  let resolveExit: (exit: ProcessExit) => void = () => {};
  const exitPromise = new Promise<ProcessExit>((resolve) => {
    resolveExit = resolve;
  });
  const outcome = runtime.spawn({ spec, instance }, (exit) => {
    calls++;
    resolveExit(exit);
  });
  const pid = outcome.ok ? outcome.pid : -1;
  if (outcome.ok) {
    t.after(async () => {
      if (processGroupMembers(pid).some(isProcessAlive)) process.kill(-pid, 'SIGKILL');
      else if (calls === 0) process.kill(pid, 'SIGKILL'); // not a group leader: only a broken runtime
      await withTimeout(exitPromise, `exit of pid ${pid} after SIGKILL`);
    });
  }
  return {
    outcome,
    pid,
    exited: withTimeout(exitPromise, `exit of pid ${pid}`),
    exitCalls: () => calls,
  };
}

/** Rejects when `promise` has not settled within the timeout. */
export function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the match once the file's text matches `pattern`, woken by file change events. */
export function waitForText(
  path: string,
  pattern: RegExp,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const watcher = watch(path, () => check());
    const timer = setTimeout(() => {
      watcher.close();
      reject(
        new Error(
          `timed out waiting for ${pattern} in ${path}; it holds ${JSON.stringify(readText(path))}`,
        ),
      );
    }, timeoutMs);
    const check = () => {
      const match = readText(path).match(pattern);
      if (!match) return;
      watcher.close();
      clearTimeout(timer);
      resolve(match);
    };
    check();
  });
}

/**
 * Resolves once `condition` holds, checking every few ms: only for what no event reports,
 * such as the death of a process that is not our child.
 */
export async function waitUntil(
  condition: () => boolean,
  what: string,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The file's text, or '' when it does not exist. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
