import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { TestContext } from 'node:test';

const READY_TIMEOUT_MS = 10_000;

/** Runs `node -e code`, ends it by pid (SIGKILL) when the test ends, and resolves once it printed `ready`. */
export async function startNode(
  t: TestContext,
  code: string,
): Promise<ChildProcessByStdio<null, Readable, null>> {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
  });
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(
      () => reject(new Error('the child did not print ready')),
      READY_TIMEOUT_MS,
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('ready')) {
        clearTimeout(guard);
        resolve();
      }
    });
    child.on('exit', (status) => {
      clearTimeout(guard);
      reject(new Error(`the child ended before it was ready (${status})`));
    });
  });
  return child;
}

/** Waits `ms`: for tests that measure a rate over time, where the passing time is the point. */
export function elapse(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
