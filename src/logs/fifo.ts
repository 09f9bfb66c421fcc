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
import { lstat, mkdir, readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const MKFIFO = 'mkfifo';
const FIFO_MODE_ARGS = ['-m', '600', '--'];

/**
 * Makes sure every path is a FIFO (mode 0600), creating the missing ones with one `mkfifo` call.
 * What exists is read with one listing per folder, not a stat per path: a pool of 100 has 300.
 */
export async function ensureFifos(paths: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const [directory, names] of namesByDirectory(paths)) {
    const found = await listTypes(directory);
    for (const name of names) {
      const isFound = found.get(name);
      if (isFound === true) continue;
      const path = join(directory, name);
      if (isFound === false) {
        try {
          await unlink(path);
        } catch (error) {
          if (!isErrno(error, 'ENOENT')) throw error;
        }
      }
      missing.push(path);
    }
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

/** The paths' base names, grouped by folder, each once. */
function namesByDirectory(paths: readonly string[]): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const path of paths) {
    const directory = dirname(path);
    let names = groups.get(directory);
    if (!names) {
      names = new Set();
      groups.set(directory, names);
    }
    names.add(basename(path));
  }
  return groups;
}

/** Each entry of a folder and whether it is a FIFO; none when the folder does not exist. */
async function listTypes(directory: string): Promise<Map<string, boolean>> {
  try {
    // Node lstat()s the entries whose type the file system does not report.
    const entries = await readdir(directory, { withFileTypes: true });
    return new Map(entries.map((entry) => [entry.name, entry.isFIFO()]));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return new Map();
    throw error;
  }
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
