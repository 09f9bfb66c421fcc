import { closeSync } from 'node:fs';
import type { SpawnRequest } from '../process/runtime.js';
import type { OpenOutput, OutputTarget } from '../process/spawn-process.js';

/** What gives each new process its notify channel. */
export interface NotifyChannels {
  openWriteEnd(request: SpawnRequest): number;
  openHolder(request: SpawnRequest): number;
}

/**
 * Adds the instance's notify channel to what a spawn gets (fd 3, TEND_NOTIFY_FD), and a read end
 * of it to the child's holders (after its output's); the daemon's copies are closed with the
 * output's once the child has its own.
 */
export function withNotifyChannel(openOutput: OpenOutput, channels: NotifyChannels): OpenOutput {
  return (request) => {
    const output = openOutput(request);
    let notifyFd: number;
    let holder: number;
    try {
      notifyFd = channels.openWriteEnd(request);
    } catch (error) {
      output.afterSpawn(undefined);
      throw error;
    }
    try {
      holder = channels.openHolder(request);
    } catch (error) {
      closeSync(notifyFd);
      output.afterSpawn(undefined);
      throw error;
    }
    let isClosed = false;
    const target: OutputTarget = {
      stdout: output.stdout,
      stderr: output.stderr,
      notifyFd,
      holders: [...(output.holders ?? []), holder],
      afterSpawn(pid) {
        output.afterSpawn(pid);
        if (isClosed) return;
        isClosed = true;
        closeSync(notifyFd);
        closeSync(holder);
      },
    };
    return target;
  };
}
