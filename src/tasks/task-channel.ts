import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ensureFifos, ensureFifosSync, removeInstanceFiles } from '../logs/fifo.js';
import { runDirectory } from '../logs/log-paths.js';
import type { SpawnRequest } from '../process/runtime.js';
import type { OpenOutput } from '../process/spawn-process.js';

/** The FIFO an instance of a task program reads its tasks from: `$TEND_HOME/run/<name>.<index>.task`. */
export function taskFifoPath(home: string, name: string, instance: number): string {
  return join(runDirectory(home), `${name}.${instance}.task`);
}

/**
 * Creates the task FIFOs of instances 0…instanceCount-1 that do not exist yet, with one `mkfifo`
 * for all: made one by one at each spawn, a fleet of 1,000 ran 1,000 synchronous `mkfifo`s in the
 * daemon while it started.
 */
export async function prepareTaskFifos(
  home: string,
  name: string,
  instanceCount: number,
): Promise<void> {
  const paths: string[] = [];
  for (let instance = 0; instance < instanceCount; instance++) {
    paths.push(taskFifoPath(home, name, instance));
  }
  await ensureFifos(paths);
}

/**
 * Gives each new process of a task program the read end of its instance's task FIFO (after its
 * other descriptors; TEND_TASK_FD names it), opened read-write so that it blocks for a reader
 * and never sees end-of-file while no task comes. Other programs' spawns are left as they are.
 */
export function withTaskChannel(openOutput: OpenOutput, home: string): OpenOutput {
  return (request: SpawnRequest) => {
    const output = openOutput(request);
    if (request.spec.tasks === undefined) return output;
    let taskFd: number;
    try {
      const path = taskFifoPath(home, request.spec.name, request.instance);
      ensureFifosSync([path]);
      taskFd = openSync(path, constants.O_RDWR);
    } catch (error) {
      output.afterSpawn(undefined);
      throw error;
    }
    let isClosed = false;
    return {
      ...output,
      taskFd,
      afterSpawn(pid) {
        output.afterSpawn(pid);
        if (isClosed) return;
        isClosed = true;
        closeSync(taskFd);
      },
    };
  };
}

/** The line a process reads when it is allocated: `TASK=<id> OWNER=<owner, percent-encoded>`. */
export function taskLine(task: { id: string; owner: string | null }): string {
  return `TASK=${task.id} OWNER=${encodeURIComponent(task.owner ?? '')}\n`;
}

/**
 * Writes a task's line to its instance's FIFO, which its process holds open: one write under
 * PIPE_BUF, so it is whole or not at all, and never blocks the daemon (a process that reads
 * nothing fills the pipe after some thousand tasks: EAGAIN, reported).
 */
export function tellTask(home: string, name: string, instance: number, line: string): void {
  const fd = openSync(
    taskFifoPath(home, name, instance),
    constants.O_WRONLY | constants.O_NONBLOCK,
  );
  try {
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
}

/** Deletes the task FIFOs of a deleted program. */
export function removeTaskFifos(home: string, name: string): void {
  removeInstanceFiles(runDirectory(home), name, /^\.task$/);
}
