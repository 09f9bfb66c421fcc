import { spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  watch,
} from 'node:fs';
import { connect, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { homePaths } from '../config/home.js';
import { formatDuration } from '../config/human-units.js';
import { DaemonError } from '../errors.js';
import { ensureFifosSync } from '../logs/fifo.js';
import type { DaemonLauncher } from './context.js';
import { daemonCommand } from './tend-command.js';
import { watchedCommand } from './watcher-command.js';

/** How long the CLI waits for a daemon it started to say `ready`. */
export const DEFAULT_DAEMON_START_TIMEOUT_MS = 10_000;

/** The file descriptor on which a started daemon reports `ready` or `error <message>`. */
export const NOTIFY_FD = 3;

/** `node <flags> bin/tend.js daemon` under its watcher (src/cli/watcher-command.ts): how the CLI starts a background daemon. */
export function defaultLauncher(): DaemonLauncher {
  return watchedCommand(daemonCommand());
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
  const notifyPipe = openNotifyPipe(home);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(launcher.file, launcher.args, {
      detached: true,
      cwd: home,
      stdio: ['ignore', outFd, outFd, notifyPipe.writeFd],
      env: { ...options.env, TEND_HOME: home, TEND_NOTIFY_FD: String(NOTIFY_FD) },
    });
  } finally {
    closeSync(outFd);
    closeSync(notifyPipe.writeFd);
  }
  const notifications = new Socket({ fd: notifyPipe.readFd, readable: true, writable: false });
  const outcome = await new Promise<StartOutcome>((resolve) => {
    let received = '';
    const timer = setTimeout(
      () =>
        settle({
          kind: 'failed',
          problem: `did not report ready within ${formatDuration(timeoutMs)}`,
        }),
      timeoutMs,
    );
    let isSettled = false;
    const settle = (result: StartOutcome) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      resolve(result);
    };
    child.once('error', (error) =>
      settle({ kind: 'failed', problem: `could not be run: ${error.message}` }),
    );
    child.once('exit', (code, signal) => {
      // A line written just before the exit is read in the same poll phase: let it win.
      setImmediate(() =>
        settle({
          kind: 'failed',
          problem: `exited (${signal ?? `code ${code}`}) before it was ready`,
        }),
      );
    });
    notifications.setEncoding('utf8');
    notifications.on('data', (chunk: string) => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (newline >= 0) settle(parseNotification(received.slice(0, newline)));
    });
    notifications.on('error', () => {});
  });
  notifications.destroy();
  child.removeAllListeners();
  child.unref();
  if (outcome.kind === 'other-daemon') {
    // Another CLI started a daemon at the same moment and it won the home's lock: use it.
    await waitForSocket(homePaths(home).socket, timeoutMs);
    return { pid: outcome.pid };
  }
  if (outcome.kind === 'failed') {
    const output = readNewOutput(outPath, outOffset);
    throw new DaemonError(
      'TEND_ERR_DAEMON_START_FAILED',
      `The daemon ${outcome.problem}${output ? `: ${output}` : ''} (see ${outPath})`,
    );
  }
  return { pid: outcome.pid ?? (child.pid as number) };
}

/** What a starting daemon told us. */
type StartOutcome =
  | { kind: 'ready'; pid: number | undefined }
  | { kind: 'other-daemon'; pid: number }
  | { kind: 'failed'; problem: string };

/** Reads the one line a starting daemon writes: `ready <pid>`, `running <pid>` or `error <message>`. */
function parseNotification(line: string): StartOutcome {
  // `ready <pid>`: the daemon's own pid (the CLI's child is its watcher); `ready` alone from an older daemon.
  const ready = /^ready(?: (\d+))?$/.exec(line);
  if (ready) return { kind: 'ready', pid: ready[1] === undefined ? undefined : Number(ready[1]) };
  const running = /^running (\d+)$/.exec(line);
  if (running) return { kind: 'other-daemon', pid: Number(running[1]) };
  return { kind: 'failed', problem: line.replace(/^error\s*/, '') || 'reported an empty error' };
}

/**
 * Resolves once something accepts connections on the socket: watched, not polled; each change
 * in its folder is a cue to try a connection. Rejects after `timeoutMs`.
 */
function waitForSocket(socketPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let isDone = false;
    let isTrying = false;
    let isTryAgain = false;
    const finish = (error?: Error) => {
      if (isDone) return;
      isDone = true;
      clearTimeout(timer);
      watcher.close();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () =>
        finish(
          new DaemonError(
            'TEND_ERR_DAEMON_START_FAILED',
            `Another tend daemon took this home but did not answer on ${socketPath} within ${formatDuration(timeoutMs)}`,
          ),
        ),
      timeoutMs,
    );
    const tryConnect = () => {
      if (isDone) return;
      if (isTrying) {
        isTryAgain = true;
        return;
      }
      isTrying = true;
      const socket = connect(socketPath);
      const settle = (isOpen: boolean) => {
        socket.destroy();
        isTrying = false;
        if (isOpen) finish();
        else if (isTryAgain) {
          isTryAgain = false;
          tryConnect();
        }
      };
      socket.once('connect', () => settle(true));
      socket.once('error', () => settle(false));
    };
    const watcher = watch(dirname(socketPath), tryConnect);
    // Tried after the watch is set, so that a socket created in between is not missed.
    tryConnect();
  });
}

/**
 * A FIFO whose write end becomes the daemon's fd 3. Not Node's `'pipe'` stdio: that is a
 * socketpair, and the daemon moves the descriptor to a close-on-exec one by reopening
 * /proc/self/fd/3, which works for a FIFO but fails for a socket (ENXIO); the CLI then waited
 * out its whole timeout (the 10 s first command). The path is unlinked at once: both ends are
 * open, and the reopen goes through /proc, not the path.
 */
function openNotifyPipe(home: string): { readFd: number; writeFd: number } {
  const path = join(home, `notify.${process.pid}.${Date.now()}.fifo`);
  ensureFifosSync([path]);
  try {
    const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      // A reader exists, so this open returns at once; blocking mode, as the daemon inherits it.
      return { readFd, writeFd: openSync(path, constants.O_WRONLY) };
    } catch (error) {
      closeSync(readFd);
      throw error;
    }
  } finally {
    unlinkSync(path);
  }
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
