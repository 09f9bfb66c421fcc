import type { SupervisorRuntime } from './runtime.js';
import { signalProcess } from './signal-process.js';
import { type OpenOutput, spawnProcess } from './spawn-process.js';
import { startTimer } from './timer.js';

/** Options of the real runtime. */
export interface NodeRuntimeOptions {
  /** Opens the stdout/stderr fds of each instance about to be spawned. */
  openOutput: OpenOutput;
  /** The environment processes inherit under their own; the daemon's own by default. */
  env?: NodeJS.ProcessEnv;
}

/** The real SupervisorRuntime: spawns, signals and reaps OS processes, with the wall clock and real timers. */
export function createNodeRuntime(options: NodeRuntimeOptions): SupervisorRuntime {
  const spawnOptions = { openOutput: options.openOutput, baseEnv: options.env ?? process.env };
  return {
    now: () => Date.now(),
    setTimer: startTimer,
    spawn: (request, onExit) => spawnProcess(request, onExit, spawnOptions),
    signal: signalProcess,
  };
}
