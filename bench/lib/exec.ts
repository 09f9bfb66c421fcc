import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { onCleanup } from './cleanup.js';

/** How a command ended, what it printed and how long it took from spawn to exit. */
export interface CommandOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Options for a command that runs to completion. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Killed (SIGKILL, by pid) after this long. */
  timeoutMs?: number;
  /** Whether a non-zero exit is returned instead of thrown. */
  isFailureAllowed?: boolean;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

/** Runs a command to completion and times it, spawn to exit with its output drained. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandOutcome> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const timer = setTimeout(() => {
      if (child.pid !== undefined) killQuietly(child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      const elapsedMs = performance.now() - startedAt;
      clearTimeout(timer);
      const outcome: CommandOutcome = {
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        elapsedMs,
      };
      if (code !== 0 && !options.isFailureAllowed) {
        const shown = [command, ...args].join(' ');
        const why = signal ? `signal ${signal}` : `code ${code}`;
        const said = (outcome.stderr || outcome.stdout).trim();
        reject(new Error(`\`${shown}\` failed (${why}): ${said}`));
        return;
      }
      resolve(outcome);
    });
  });
}

/** Spawns a long-lived process that is killed by pid (SIGKILL) at cleanup if still running. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ChildProcess {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: 'ignore',
  });
  const pid = child.pid;
  if (pid !== undefined) {
    const cleanup = onCleanup(`kill ${command} ${pid}`, () => {
      if (child.exitCode === null && child.signalCode === null) killQuietly(pid, 'SIGKILL');
    });
    child.once('exit', () => cleanup.dismiss());
  }
  return child;
}

/** Sends a signal to a pid; a process that is already gone is not an error. */
export function killQuietly(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Resolves when the child has exited (at once if it already has). */
export function awaitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
