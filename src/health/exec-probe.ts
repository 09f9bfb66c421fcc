import { spawn } from 'node:child_process';
import { formatDuration } from '../config/human-units.js';
import { describeErrno, errnoOf } from '../process/describe-errno.js';
import { ABORTED, failed, PASSED, type ProbeResult } from './probe-result.js';

/** How much of a check's standard error is kept: its first line is all a reason shows. */
const STDERR_LIMIT_BYTES = 4096;

/** What an exec probe runs, where, and for how long. */
export interface ExecProbeTarget {
  command: string;
  args: readonly string[];
  /** Through /bin/sh -c; never otherwise. */
  shell: boolean;
  cwd: string;
  /** The instance's whole environment (its TEND_INSTANCE and PORT included). */
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
}

/**
 * Runs the command in a process group of its own; exit 0 passes. On timeout (or abort) the whole
 * group is killed with SIGKILL: a check that hangs often hangs in something it started. Once the
 * command exits, what is left of its group is killed too, so no check outlives its run.
 */
export function runExecProbe(target: ExecProbeTarget, signal: AbortSignal): Promise<ProbeResult> {
  const what = `exec ${target.command}`;
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(ABORTED);
    const child = spawn(target.command, [...target.args], {
      cwd: target.cwd,
      env: { ...target.env },
      shell: target.shell,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    // Set by a timeout, an abort or a failed spawn; otherwise the exit decides, once stderr is read.
    let early: ProbeResult | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let isResolved = false;
    const settle = (result: ProbeResult) => {
      if (isResolved) return;
      isResolved = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is already empty.
      }
    };
    const cutShort = (result: ProbeResult) => {
      early ??= result;
      killGroup();
    };
    const timer = setTimeout(
      () => cutShort(failed(`${what} timed out after ${formatDuration(target.timeoutMs)}`)),
      target.timeoutMs,
    );
    const onAbort = () => cutShort(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < STDERR_LIMIT_BYTES) stderr += chunk;
    });
    child.once('error', (error) => {
      if (exit !== undefined || early !== undefined) return;
      const errno = errnoOf(error);
      settle(failed(`${what} could not start: ${errno ? describeErrno(errno) : error.message}`));
    });
    child.once('exit', (code, exitSignal) => {
      exit = { code, signal: exitSignal };
      killGroup();
    });
    // 'close' comes once stderr is drained; the group was killed, so nothing holds it open.
    child.once('close', () => {
      if (early !== undefined) return settle(early);
      if (exit === undefined || exit.code === 0) return settle(exit ? PASSED : ABORTED);
      const how = exit.code !== null ? `exited ${exit.code}` : `was killed by ${exit.signal}`;
      settle(failed(`${what} ${how}${firstLine(stderr)}`));
    });
  });
}

function firstLine(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '');
  return line === undefined ? '' : `: ${line.trim().slice(0, 200)}`;
}
