import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { rotatedPath } from './log-paths.js';

const NEWLINE = 0x0a;

/** How bytes are written to a file descriptor: `fs.writeSync`'s signature (tests inject a full disk). */
export type WriteBytes = (fd: number, data: Buffer, offset: number, length: number) => number;

/** A write that failed after `bytesWritten` bytes of its data were in the file; `cause` is the OS error. */
export class LogWriteError extends Error {
  readonly bytesWritten: number;

  constructor(path: string, bytesWritten: number, cause: unknown) {
    super(`Writing ${path} failed: ${(cause as Error).message}`, { cause });
    this.bytesWritten = bytesWritten;
  }
}

/** Size limits of a rotating log: each file at most `maxBytes`, `maxFiles` files in all (current + rotated). */
export interface RotationLimits {
  maxBytes: number;
  maxFiles: number;
}

/**
 * An append-only log file that rotates by size (`x.log` → `x.log.1` → … → `x.log.<maxFiles-1>`).
 * Writes are synchronous so that lines land in the order they were read and a reader of the
 * files (tail) never sees half a write. Data given to `write` must be whole lines; a line is
 * never split across two files, and a single line longer than `maxBytes` gets a file of its own.
 * The file is opened (and made) at the first write, not before: most instances of a large pool
 * never write to stderr, and opening both logs at each spawn cost a folder check, an open and a
 * stat per stream.
 */
export class RotatingFile {
  readonly path: string;
  #limits: RotationLimits;
  /** -1 until the first write opens the file, and again once closed. */
  #fd = -1;
  #size = 0;
  #isClosed = false;
  /** After a failed rotation, the size at which to try again (so that one failure is not reported per write). */
  #retryRotationAtSize = 0;
  readonly #onRotateError: (error: Error) => void;
  readonly #writeBytes: WriteBytes;
  /** Bytes of the current `write` call's data already in the file. */
  #written = 0;

  constructor(
    path: string,
    limits: RotationLimits,
    onRotateError: (error: Error) => void,
    writeBytes: WriteBytes = writeSync,
  ) {
    this.path = path;
    this.#writeBytes = writeBytes;
    this.#limits = checkLimits(limits);
    this.#onRotateError = onRotateError;
  }

  /** Bytes in the current file (opening it when no write has yet). */
  get size(): number {
    this.#open();
    return this.#size;
  }

  /** Changes the limits; they apply from the next write. */
  setLimits(limits: RotationLimits): void {
    this.#limits = checkLimits(limits);
  }

  /**
   * Appends whole lines, rotating first whenever the next lines would not fit. Throws a
   * LogWriteError saying how much of `data` is in the file when the OS refuses a write (a full disk).
   */
  write(data: Buffer): void {
    try {
      this.#open();
    } catch (error) {
      throw new LogWriteError(this.path, 0, error);
    }
    this.#written = 0;
    try {
      this.#writeLines(data);
    } catch (error) {
      throw new LogWriteError(this.path, this.#written, error);
    }
  }

  #writeLines(data: Buffer): void {
    const { maxBytes } = this.#limits;
    let rest = data;
    while (rest.length > 0) {
      const room = maxBytes - this.#size;
      if (rest.length <= room) {
        this.#append(rest);
        return;
      }
      let cut = room > 0 ? rest.lastIndexOf(NEWLINE, room - 1) + 1 : 0;
      if (cut === 0 && this.#size === 0) {
        const end = rest.indexOf(NEWLINE);
        cut = end === -1 ? rest.length : end + 1;
      }
      if (cut > 0) {
        this.#append(rest.subarray(0, cut));
        rest = rest.subarray(cut);
      }
      if (rest.length > 0 && !this.#rotate()) {
        this.#append(rest);
        return;
      }
    }
  }

  /** Closes the file; the object is not usable afterwards. */
  close(): void {
    this.#isClosed = true;
    if (this.#fd === -1) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }

  /** Opens the file for appending, once, and ends a line that a killed writer left unfinished. */
  #open(): void {
    if (this.#fd !== -1) return;
    if (this.#isClosed) throw new Error(`${this.path} was closed`);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const fd = openSync(this.path, 'a+', 0o600);
    try {
      this.#fd = fd;
      this.#size = fstatSync(fd).size;
      if (this.#size > 0 && !endsWithNewline(fd, this.#size)) {
        // A previous writer stopped mid-line (killed during a write): end that line so the next one starts clean.
        this.#append(Buffer.from('\n'));
      }
    } catch (error) {
      // Opened again, and checked again, at the next write.
      this.#fd = -1;
      closeSync(fd);
      throw error;
    }
  }

  #append(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      const count = this.#writeBytes(this.#fd, data, offset, data.length - offset);
      offset += count;
      this.#size += count;
      this.#written += count;
    }
  }

  /** Returns whether a new, empty file is now current. */
  #rotate(): boolean {
    if (this.#size < this.#retryRotationAtSize) return false;
    const { maxFiles } = this.#limits;
    try {
      // The generation that the oldest rename would replace goes first: ext4 writes a file's data
      // out before a rename that replaces another file (auto_da_alloc), 3-10 ms with the daemon
      // and the writer waiting, where a rename to a free name takes 30 µs.
      removeGenerationsFrom(this.path, maxFiles - 1);
      // Only existing generations are renamed: with a large maxFiles, trying every slot would cost a syscall each.
      const oldest = Math.min(oldestGeneration(this.path), maxFiles - 2);
      for (let generation = oldest; generation >= 1; generation--) {
        renameIfExists(rotatedPath(this.path, generation), rotatedPath(this.path, generation + 1));
      }
      if (maxFiles > 1) renameSync(this.path, rotatedPath(this.path, 1));
      else unlinkSync(this.path);
      const fd = openSync(this.path, 'a+', 0o600);
      closeSync(this.#fd);
      this.#fd = fd;
      this.#size = 0;
      this.#retryRotationAtSize = 0;
      return true;
    } catch (error) {
      // Keep appending to the file we have: a log over its size limit beats a lost line.
      this.#retryRotationAtSize = this.#size + this.#limits.maxBytes;
      this.#onRotateError(
        new Error(`Could not rotate ${this.path}: ${(error as Error).message}`, { cause: error }),
      );
      return false;
    }
  }
}

function checkLimits(limits: RotationLimits): RotationLimits {
  if (!Number.isInteger(limits.maxBytes) || limits.maxBytes < 1) {
    throw new RangeError(`Expected maxBytes to be a positive integer, got ${limits.maxBytes}`);
  }
  if (!Number.isInteger(limits.maxFiles) || limits.maxFiles < 1) {
    throw new RangeError(`Expected maxFiles to be a positive integer, got ${limits.maxFiles}`);
  }
  return { maxBytes: limits.maxBytes, maxFiles: limits.maxFiles };
}

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] === NEWLINE;
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The highest rotated generation n such that 1…n all exist (0 when there is none). */
function oldestGeneration(path: string): number {
  let generation = 0;
  while (existsSync(rotatedPath(path, generation + 1))) generation++;
  return generation;
}

/** Deletes generations `first`, `first+1`, … left over from a larger maxFiles. */
function removeGenerationsFrom(path: string, first: number): void {
  for (let generation = Math.max(first, 1); ; generation++) {
    try {
      unlinkSync(rotatedPath(path, generation));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
  }
}
