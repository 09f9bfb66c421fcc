import {
  closeSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { type ConnectOpts, Socket, type SocketConstructorOpts } from 'node:net';
import { isErrno, openFifoReadEnd, openFifoWriteEnd } from './fifo.js';
import { LineSplitter } from './line-splitter.js';
import { StoredBlockFormatter } from './log-format.js';
import { partialLinePath } from './log-paths.js';
import {
  LogWriteError,
  RotatingFile,
  type RotationLimits,
  type WriteBytes,
} from './rotating-file.js';

const DRAIN_CHUNK_BYTES = 64 * 1024;
/** One for every capture: a chunk's stored form is written before the next chunk is formatted, or copied. */
const formatter = new StoredBlockFormatter();
/**
 * Where every capture's FIFO reads land, as libuv reads them: each chunk is handled before the
 * next read, and what must wait is copied. Node's stream layer would allocate 64 KiB per read.
 */
let sharedReadBuffer: Buffer | undefined;
/** Errors of a write that waiting can cure (a full disk, a quota): the capture stops reading and retries. */
const RETRIED_ERRORS = new Set(['ENOSPC', 'EDQUOT']);
/** Wait before the first retry of a refused write; doubled after each failure, up to the cap. */
export const FIRST_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5_000;

/** Where one stream of one instance goes, and who hears about its lines. */
export interface StreamCaptureOptions {
  fifoPath: string;
  logPath: string;
  limits: RotationLimits;
  /** Called with every batch of lines (one block, each line followed by '\n') right after it was written to the log. */
  onLines(block: Buffer, time: number): void;
  onError(error: Error): void;
  /**
   * Called once with the error when the log cannot be written (a full disk): reading stops, so
   * the writer blocks on its full pipe and nothing more is read than can be kept; called once
   * with null when the retried write went through and reading goes on.
   */
  onBlocked?(error: Error | null): void;
  /** Wait before the first retry (doubled after each failure, up to 5 s); tests shorten it. */
  firstRetryDelayMs?: number;
  /** How bytes reach the file (tests inject a full disk). */
  writeBytes?: WriteBytes;
}

/** Lines read and formatted but not yet in the log file. */
interface Unwritten {
  /** The stored form: the formatter's memory until it has to wait, then a copy. */
  data: Buffer;
  /** The lines, each followed by '\n', as the listeners get them. */
  block: Buffer;
  time: number;
}

interface Reader {
  fd: number;
  socket: Socket;
}

/**
 * Captures one stream (stdout or stderr) of one instance, across all its runs: reads the
 * instance's FIFO, splits lines, stamps them with the read time and appends them to the
 * rotating log. A reader lives from a spawn until EOF, which comes when the process and every
 * descendant holding the write end are gone.
 */
export class StreamCapture {
  readonly #fifoPath: string;
  readonly #partialPath: string;
  /** Bytes in the unfinished-line file (undefined: there is none). */
  #partialFileBytes: number | undefined;
  /** The unfinished-line file, kept open while a run's output is read: cheaper than a create and an unlink per chunk. */
  #partialFd: number | undefined;
  readonly #file: RotatingFile;
  readonly #splitter = new LineSplitter();
  readonly #onLines: StreamCaptureOptions['onLines'];
  readonly #onError: StreamCaptureOptions['onError'];
  readonly #onBlocked: NonNullable<StreamCaptureOptions['onBlocked']>;
  readonly #firstRetryDelayMs: number;
  /** Read but not yet written, oldest first: empty except while the log cannot be written. */
  #unwritten: Unwritten[] = [];
  #isBlocked = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs = 0;
  #reader: Reader | undefined;
  #idleWaiters: Array<() => void> = [];
  #isClosed = false;

  constructor(options: StreamCaptureOptions) {
    this.#fifoPath = options.fifoPath;
    this.#onLines = options.onLines;
    this.#onError = options.onError;
    this.#onBlocked = options.onBlocked ?? (() => {});
    this.#firstRetryDelayMs = options.firstRetryDelayMs ?? FIRST_RETRY_DELAY_MS;
    this.#file = new RotatingFile(
      options.logPath,
      options.limits,
      options.onError,
      options.writeBytes,
    );
    this.#partialPath = partialLinePath(options.fifoPath);
    this.#loadPartialLine();
  }

  /** Whether a FIFO reader is open (a run's output may still be coming). */
  get isReading(): boolean {
    return this.#reader !== undefined;
  }

  /** Changes the rotation limits (a program's spec may change between runs). */
  setLimits(limits: RotationLimits): void {
    this.#file.setLimits(limits);
  }

  /**
   * Opens a write end for the next run's child; the caller must close it once the child has it.
   * Output left by the previous run is read first, and its partial last line ends there, so
   * that it is never glued to the first line of the new run.
   */
  openWriteEnd(): number {
    if (this.#isClosed) throw new Error(`Output capture of ${this.#fifoPath} is closed`);
    this.#settlePreviousRun();
    this.#reader ??= this.#openReader();
    return openFifoWriteEnd(this.#fifoPath);
  }

  /**
   * Reads on from a run that a previous daemon started (adopted after a crash or a hand-over):
   * what waited in the FIFO comes next, after the unfinished line that daemon left.
   */
  resume(): void {
    if (this.#isClosed) throw new Error(`Output capture of ${this.#fifoPath} is closed`);
    this.#reader ??= this.#openReader();
  }

  /**
   * Hands the stream over to the next daemon: reads what the FIFO holds now into the log, keeps
   * the unfinished line in its file, and stops reading without ending the run's output.
   */
  handOver(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    const reader = this.#reader;
    if (reader && this.#drainSync(reader)) this.#finishReader(reader);
    else if (reader) {
      this.#reader = undefined;
      reader.socket.destroy();
    }
    this.#stopRetrying();
    this.#releasePartialFile();
    this.#file.close();
  }

  /** A read end of the FIFO for the child to hold and never read (see OutputTarget.holders). */
  openHolder(): number {
    return openFifoReadEnd(this.#fifoPath);
  }

  /**
   * Resolves once no reader is open: every byte written by finished runs is in the log. While the
   * log cannot be written (a full disk) it resolves at once, so that a shutdown does not wait for
   * space: `close()` then writes what it can and reports what it could not.
   */
  whenIdle(): Promise<void> {
    if (!this.#reader || this.#isBlocked) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Reads what is in the FIFO now, writes it (partial line included), and stops capturing. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#settlePreviousRun();
    if (this.#reader) this.#finishReader(this.#reader);
    this.#stopRetrying();
    this.#releasePartialFile();
    this.#file.close();
  }

  #openReader(): Reader {
    const fd = openFifoReadEnd(this.#fifoPath);
    sharedReadBuffer ??= Buffer.allocUnsafe(DRAIN_CHUNK_BYTES);
    const buffer = sharedReadBuffer;
    // Node's Socket constructor takes `onread` (its types list it for connect() only).
    const options: SocketConstructorOpts & ConnectOpts = {
      fd,
      readable: true,
      writable: false,
      onread: {
        buffer,
        callback: (count: number) => {
          if (this.#reader === reader) this.#take(buffer.subarray(0, count));
          return true;
        },
      },
    };
    const socket = new Socket(options);
    const reader: Reader = { fd, socket };
    if (this.#isBlocked) socket.pause();
    socket.on('end', () => this.#finishReader(reader));
    socket.on('error', (error) => {
      this.#onError(
        new Error(`Reading ${this.#fifoPath} failed: ${error.message}`, { cause: error }),
      );
      this.#finishReader(reader);
    });
    return reader;
  }

  /**
   * Runs synchronously before a new run gets the FIFO. Reading the kernel buffer here, rather than
   * waiting for the socket, is what keeps an immediate restart from mixing two runs' bytes in one line.
   */
  #settlePreviousRun(): void {
    const reader = this.#reader;
    if (!reader) {
      // An unfinished line left by a daemon whose run has ended since.
      this.#flushPartialLine();
      return;
    }
    if (this.#drainSync(reader)) this.#finishReader(reader);
    else this.#flushPartialLine();
  }

  /** Reads everything the FIFO holds now; returns whether it reached EOF (no writer left). */
  #drainSync(reader: Reader): boolean {
    const buffer = Buffer.allocUnsafe(DRAIN_CHUNK_BYTES);
    for (;;) {
      let count: number;
      try {
        count = readSync(reader.fd, buffer, 0, buffer.length, null);
      } catch (error) {
        if (isErrno(error, 'EAGAIN')) return false;
        this.#onError(
          new Error(`Reading ${this.#fifoPath} failed: ${(error as Error).message}`, {
            cause: error,
          }),
        );
        return true;
      }
      if (count === 0) return true;
      this.#take(buffer.subarray(0, count));
    }
  }

  #finishReader(reader: Reader): void {
    if (this.#reader !== reader) return;
    this.#reader = undefined;
    reader.socket.destroy();
    this.#flushPartialLine();
    this.#releasePartialFile();
    this.#releaseIdleWaiters();
  }

  #releaseIdleWaiters(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #take(chunk: Buffer): void {
    this.#queue(this.#splitter.pushBlock(chunk));
    // Lines are written only after the unfinished line is saved: a daemon killed between the two goes on from the right place.
    this.#writeOut();
  }

  #flushPartialLine(): void {
    this.#queue(this.#splitter.endBlock());
    this.#writeOut();
  }

  #queue(block: Buffer | undefined): void {
    if (block === undefined) return;
    const time = Date.now();
    const data = formatter.format(block, time);
    // Views of memory that the next chunk reuses: copied when they have to wait.
    if (this.#isBlocked)
      this.#unwritten.push({ data: Buffer.from(data), block: Buffer.from(block), time });
    else this.#unwritten.push({ data, block, time });
  }

  /**
   * Saves the unfinished line, then writes what waits, oldest first. A full disk stops it where
   * it is (the bytes already in the file are not written again), pauses reading and retries later.
   */
  #writeOut(): void {
    if (this.#retryTimer !== undefined) return;
    try {
      this.#savePartialLine();
    } catch (error) {
      if (this.#blockOn(error)) {
        this.#keepUnwrittenLines();
        return;
      }
      this.#onError(
        new Error(
          `Keeping the unfinished line of ${this.#fifoPath} failed: ${(error as Error).message}`,
          { cause: error },
        ),
      );
    }
    while (this.#unwritten.length > 0) {
      const next = this.#unwritten[0] as Unwritten;
      try {
        this.#file.write(next.data);
      } catch (error) {
        const written = error instanceof LogWriteError ? error.bytesWritten : 0;
        if (this.#blockOn(error)) {
          next.data = next.data.subarray(written);
          this.#keepUnwrittenLines();
          return;
        }
        this.#onError(error as Error);
      }
      this.#unwritten.shift();
      this.#onLines(next.block, next.time);
    }
    if (this.#isBlocked) {
      this.#isBlocked = false;
      this.#retryDelayMs = 0;
      this.#reader?.socket.resume();
      this.#onBlocked(null);
    }
  }

  /** The waiting lines may be views of memory that the next chunk reuses: copies are kept instead. */
  #keepUnwrittenLines(): void {
    for (const entry of this.#unwritten) {
      entry.data = Buffer.from(entry.data);
      entry.block = Buffer.from(entry.block);
    }
  }

  /** When `error` is one that waiting cures: stops reading, says so once, and schedules a retry. */
  #blockOn(error: unknown): boolean {
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    const ownCode = (error as NodeJS.ErrnoException).code;
    if (!RETRIED_ERRORS.has(code ?? '') && !RETRIED_ERRORS.has(ownCode ?? '')) return false;
    // Closing: no later try; close() counts what is left.
    if (this.#isClosed) return true;
    if (!this.#isBlocked) {
      this.#isBlocked = true;
      this.#reader?.socket.pause();
      this.#releaseIdleWaiters();
      this.#onBlocked(error as Error);
    }
    this.#retryDelayMs =
      this.#retryDelayMs === 0
        ? this.#firstRetryDelayMs
        : Math.min(this.#retryDelayMs * 2, MAX_RETRY_DELAY_MS);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#writeOut();
    }, this.#retryDelayMs);
    this.#retryTimer.unref();
    return true;
  }

  /** At close: one last try; what still cannot be written is lost, and said so. */
  #stopRetrying(): void {
    if (this.#retryTimer === undefined && this.#unwritten.length === 0) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#writeOut();
    const lost = this.#unwritten.reduce((sum, entry) => sum + countLines(entry.block), 0);
    if (lost > 0) {
      this.#onError(
        new Error(
          `${lost} line(s) read from ${this.#fifoPath} could not be written to ${this.#file.path} before the capture closed (the disk is still full)`,
        ),
      );
    }
    this.#unwritten = [];
  }

  /**
   * Keeps the unfinished line on disk (only when there is one: a chunk that ends a line costs
   * nothing once the file is empty); throws what the OS said. The file is emptied before it is
   * written, as a create with O_TRUNC did: a kill between the two loses the unfinished line
   * rather than storing a mix of two.
   */
  #savePartialLine(): void {
    const pending = this.#splitter.pending;
    if (pending !== undefined) this.#writePartialFile(pending);
    else if (this.#partialFileBytes !== undefined && this.#partialFileBytes > 0) {
      if (this.#reader) this.#writePartialFile(Buffer.alloc(0));
      else this.#removePartialFile();
    }
  }

  #writePartialFile(bytes: Buffer): void {
    if (this.#partialFd === undefined) {
      this.#partialFd = openSync(this.#partialPath, 'w', 0o600);
    } else ftruncateSync(this.#partialFd, 0);
    this.#partialFileBytes = 0;
    for (let offset = 0; offset < bytes.length; ) {
      offset += writeSync(this.#partialFd, bytes, offset, bytes.length - offset, offset);
    }
    this.#partialFileBytes = bytes.length;
  }

  /** Closes the unfinished-line file once no run is read; removes it when it holds nothing. */
  #releasePartialFile(): void {
    if (this.#partialFileBytes === 0) this.#removePartialFile();
    else this.#closePartialFile();
  }

  #removePartialFile(): void {
    this.#closePartialFile();
    rmSync(this.#partialPath, { force: true });
    this.#partialFileBytes = undefined;
  }

  #closePartialFile(): void {
    if (this.#partialFd === undefined) return;
    closeSync(this.#partialFd);
    this.#partialFd = undefined;
  }

  #loadPartialLine(): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.#partialPath);
    } catch {
      return;
    }
    this.#partialFileBytes = bytes.length;
    // No newline in it, so this completes no line: it waits for the rest.
    this.#splitter.push(bytes);
  }
}

/** How many lines a block holds (each is followed by '\n'). */
function countLines(block: Buffer): number {
  let count = 0;
  for (let index = block.indexOf(10); index !== -1; index = block.indexOf(10, index + 1)) count++;
  return count;
}
