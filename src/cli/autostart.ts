import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DaemonError } from '../errors.js';
import type { DaemonLauncher } from './context.js';
import { tendCommand } from './tend-command.js';

/** How long the CLI waits for a daemon it started to say `ready`. */
export const DEFAULT_DAEMON_START_TIMEOUT_MS = 10_000;

/** The file descriptor on which a started daemon reports `ready` or `error <message>`. */
export const NOTIFY_FD = 3;

/** `node bin/tend.js daemon`: how the CLI starts a background daemon. */
export function defaultLauncher(): DaemonLauncher {
  const { node, bin } = tendCommand();
  return { file: node, args: [bin, 'daemon'] };
}

/** What starting a background daemon needs. */
export interface BackgroundStartOptions {
  home: string;
  launcher: DaemonLauncher;
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
}

/**
 * Starts a daemon in the background and resolves to its pid once it reports `ready` on fd 3 (so
 * once its API answers): the daemon tells us, nothing polls. Its stdout and stderr go to daemon.out.
 */
export async function startDaemonInBackground(
  options: BackgroundStartOptions,
): Promise<{ pid: number }> {
  const { home, launcher } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DAEMON_START_TIMEOUT_MS;
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const outPath = join(home, 'daemon.out');
  const outFd = openSync(outPath, 'a', 0o600);
  const outOffset = fstatSync(outFd).size;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(launcher.file, launcher.args, {
      detached: true,
      cwd: home,
      stdio: ['ignore', outFd, outFd, 'pipe'],
      env: { ...options.env, TEND_HOME: home, TEND_NOTIFY_FD: String(NOTIFY_FD) },
    });
  } finally {
    closeSync(outFd);
  }
  const notifications = child.stdio[NOTIFY_FD] as Readable;
  const outcome = await new Promise<{ isReady: boolean; problem: string }>((resolve) => {
    let received = '';
    const timer = setTimeout(
      () =>
        resolve({ isReady: false, problem: `did not report ready within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    let isSettled = false;
    const settle = (result: { isReady: boolean; problem: string }) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      resolve(result);
    };
    child.once('error', (error) =>
      settle({ isReady: false, problem: `could not be run: ${error.message}` }),
    );
    child.once('exit', (code, signal) => {
      // A line written just before the exit is read in the same poll phase: let it win.
      setImmediate(() =>
        settle({
          isReady: false,
          problem: `exited (${signal ?? `code ${code}`}) before it was ready`,
        }),
      );
    });
    notifications.setEncoding('utf8');
    notifications.on('data', (chunk: string) => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (newline < 0) return;
      const line = received.slice(0, newline);
      if (line === 'ready') settle({ isReady: true, problem: '' });
      else
        settle({
          isReady: false,
          problem: line.replace(/^error\s*/, '') || 'reported an empty error',
        });
    });
    notifications.on('error', () => {});
  });
  notifications.destroy();
  child.removeAllListeners();
  child.unref();
  if (!outcome.isReady) {
    const output = readNewOutput(outPath, outOffset);
    throw new DaemonError(
      'TEND_ERR_DAEMON_START_FAILED',
      `The daemon ${outcome.problem}${output ? `: ${output}` : ''} (see ${outPath})`,
    );
  }
  return { pid: child.pid as number };
}

/** The last few hundred characters the daemon wrote to daemon.out since `offset`, on one line. */
function readNewOutput(path: string, offset: number): string {
  const MAX_CHARS = 400;
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const start = Math.max(offset, size - 4096);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      readSync(fd, buffer, 0, buffer.length, start);
      const text = buffer
        .toString('utf8')
        .trim()
        .replace(/\s*\n\s*/g, ' | ');
      return text.length > MAX_CHARS ? `…${text.slice(-MAX_CHARS)}` : text;
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}
