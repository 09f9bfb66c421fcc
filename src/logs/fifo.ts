import { execFile, execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  unlinkSync,
} from 'node:fs';
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const MKFIFO = 'mkfifo';
const FIFO_MODE_ARGS = ['-m', '600', '--'];

/** Makes sure every path is a FIFO (mode 0600), creating the missing ones with one `mkfifo` call. */
export async function ensureFifos(paths: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const path of paths) {
    try {
      if ((await lstat(path)).isFIFO()) continue;
      await unlink(path);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    missing.push(path);
  }
  if (missing.length === 0) return;
  for (const directory of new Set(missing.map((path) => dirname(path)))) {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  }
  try {
    await execFileAsync(MKFIFO, [...FIFO_MODE_ARGS, ...missing]);
  } catch (error) {
    // Another caller may have created some of them meanwhile; only a path that is still no FIFO is a failure.
    const stillMissing = await Promise.all(missing.map(async (path) => !(await isFifo(path))));
    if (stillMissing.some(Boolean)) throw mkfifoError(error);
  }
}

/** Synchronous ensureFifos, for the rare instance whose FIFOs were not prepared ahead. */
export function ensureFifosSync(paths: readonly string[]): void {
  const missing: string[] = [];
  for (const path of paths) {
    try {
      if (lstatSync(path).isFIFO()) continue;
      unlinkSync(path);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
    missing.push(path);
  }
  if (missing.length === 0) return;
  for (const directory of new Set(missing.map((path) => dirname(path)))) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }
  try {
    execFileSync(MKFIFO, [...FIFO_MODE_ARGS, ...missing], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    if (missing.some((path) => !isFifoSync(path))) throw mkfifoError(error);
  }
}

/**
 * Opens a FIFO's read end without blocking (no writer needs to exist yet), creating the FIFO
 * when it is missing. The descriptor is close-on-exec, as every fd Node opens.
 */
export function openFifoReadEnd(path: string): number {
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      if (attempt > 0 || !isErrno(error, 'ENOENT')) throw error;
      ensureFifosSync([path]);
      continue;
    }
    if (fstatSync(fd).isFIFO()) return fd;
    closeSync(fd);
    if (attempt > 0) throw new Error(`Expected ${path} to be a FIFO, and it could not be made one`);
    ensureFifosSync([path]);
  }
}

/**
 * Opens a FIFO's write end for a child. Blocking mode on purpose: the flags belong to the open
 * file description the child inherits, and O_NONBLOCK there would make its writes fail with
 * EAGAIN. The open itself returns at once because the read end is already open.
 */
export function openFifoWriteEnd(path: string): number {
  return openSync(path, constants.O_WRONLY);
}

async function isFifo(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFIFO();
  } catch {
    return false;
  }
}

function isFifoSync(path: string): boolean {
  try {
    return lstatSync(path).isFIFO();
  } catch {
    return false;
  }
}

function mkfifoError(error: unknown): Error {
  const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
  const detail = stderr || (error as Error).message;
  return new Error(`Could not create the output FIFOs with mkfifo: ${detail}`, { cause: error });
}

/** Whether an error is a Node system error with this code. */
export function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

/**
 * Removes the per-instance files of program `name` in `directory` whose name after `<name>.` is
 * an instance number followed by `suffix` (`/^\.(?:out|err)$/`…); a missing folder or file is fine.
 */
export function removeInstanceFiles(directory: string, name: string, suffix: RegExp): void {
  let entries: string[];
  try {
    entries = readdirSync(directory);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return;
    throw error;
  }
  const prefix = `${name}.`;
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const rest = entry.slice(prefix.length);
    const digits = /^\d+/.exec(rest)?.[0];
    if (digits === undefined || !suffix.test(rest.slice(digits.length))) continue;
    try {
      unlinkSync(join(directory, entry));
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
}
