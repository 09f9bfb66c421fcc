import { type ChildProcess, spawn } from 'node:child_process';
import { TASK_FD_ENV_KEY } from '../config/reserved-env.js';
import type { Containment } from './containment.js';
import { describeErrno, errnoOf } from './describe-errno.js';
import { endProcessGroup } from './end-process-group.js';
import { instanceEnv, NOTIFY_CHILD_FD } from './instance-env.js';
import type { ProcessExit, SpawnOutcome, SpawnRequest } from './runtime.js';
import { checkWorkingDirectory, explainSpawnFailure } from './spawn-failure.js';

/** Where a new process writes: two open file descriptors, and a hook once the child has its own copies. */
export interface OutputTarget {
  stdout: number;
  stderr: number;
  /** The write end of the instance's notify channel, given to the child as fd 3 (TEND_NOTIFY_FD), if any. */
  notifyFd?: number;
  /**
   * Descriptors the child inherits after stderr and never uses: the read ends of its own output
   * FIFOs, so that its output keeps a reader (and waits in the pipe) while no daemon runs.
   */
  holders?: readonly number[];
  /** A task program's task FIFO (src/tasks/task-channel.ts), given to the child after the holders (TEND_TASK_FD). */
  taskFd?: number;
  /** Called once the spawn has been tried (pid undefined when it failed), so the caller can close its fds. */
  afterSpawn(pid: number | undefined): void;
}

/** Opens the output of the instance about to be spawned. */
export type OpenOutput = (request: SpawnRequest) => OutputTarget;

/** What spawnProcess needs besides the request. */
export interface SpawnProcessOptions {
  openOutput: OpenOutput;
  /** The environment every process inherits before its own `env` and TEND_* variables. */
  baseEnv: NodeJS.ProcessEnv;
  /** Variables that win over everything else (TEND_HOME, set by the daemon's runtime). */
  overrideEnv?: Readonly<Record<string, string>>;
  /** Makes what holds this run's processes together beyond its group (a cgroup, or a /proc walk). */
  contain(): Containment;
}

/**
 * Starts one instance of a program in its own process group (it leads the group: pgid = pid) and
 * its containment, synchronously: the outcome says at once whether it runs, or why not. `onExit`
 * is called once, after the process has been reaped and nothing of its group or containment runs.
 */
export function spawnProcess(
  request: SpawnRequest,
  onExit: (exit: ProcessExit) => void,
  options: SpawnProcessOptions,
): SpawnOutcome {
  const { spec } = request;
  const cwdProblem = checkWorkingDirectory(spec.command, spec.cwd);
  if (cwdProblem) return { ok: false, ...cwdProblem };

  let output: OutputTarget;
  try {
    output = options.openOutput(request);
  } catch (error) {
    return failure(spec.command, error, 'cannot open its output: ');
  }
  const hasNotify = output.notifyFd !== undefined;
  const env = {
    ...options.baseEnv,
    ...instanceEnv(spec, request.instance, hasNotify),
    ...options.overrideEnv,
  };
  const holders = output.holders ?? [];
  if (output.taskFd !== undefined) {
    env[TASK_FD_ENV_KEY] = String(NOTIFY_CHILD_FD + (hasNotify ? 1 : 0) + holders.length);
  }

  let containment: Containment;
  try {
    containment = options.contain();
  } catch (error) {
    output.afterSpawn(undefined);
    return failure(spec.command, error, 'cannot contain its processes: ');
  }
  let child: ChildProcess;
  try {
    child = containment.spawnInside(() =>
      spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env,
        detached: true,
        shell: spec.shell,
        // fd 3 is the notify channel (TEND_NOTIFY_FD=3) when there is one; the holders follow.
        stdio: [
          'ignore',
          output.stdout,
          output.stderr,
          ...(hasNotify ? [output.notifyFd] : []),
          ...holders,
          ...(output.taskFd === undefined ? [] : [output.taskFd]),
        ],
      }),
    );
  } catch (error) {
    // Node throws for invalid arguments (a NUL byte) and for errors other than ENOENT/EACCES/EAGAIN/EMFILE.
    output.afterSpawn(undefined);
    void containment.end();
    return failure(spec.command, error, '');
  }
  // Node reports a failed spawn again, later, as an 'error' event; unhandled, it would crash the daemon.
  child.on('error', () => {});
  const { pid } = child;
  output.afterSpawn(pid);
  if (pid === undefined) {
    void containment.end();
    return { ok: false, ...explainSpawnFailure(spec.command, spec.cwd, env.PATH) };
  }
  containment.track(pid);
  // 'exit', not 'close': the child's stdio is not a Node pipe. The exit is reported once the rest
  // of the group and of the containment is gone too, so that a stop or a restart never overlaps
  // with leftovers.
  child.once('exit', (code, signal) => {
    void Promise.allSettled([endProcessGroup(pid), containment.end()]).then(() =>
      onExit({ code, signal }),
    );
  });
  return { ok: true, pid };
}

function failure(command: string, error: unknown, context: string): SpawnOutcome {
  const errno = errnoOf(error);
  const isOsError = errno !== undefined && !errno.startsWith('ERR_');
  const why = isOsError ? describeErrno(errno) : String((error as Error).message ?? error);
  return { ok: false, errno, message: `cannot start ${command}: ${context}${why}` };
}
