import { readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { isErrno, openFifoReadEnd, openFifoWriteEnd } from './fifo.js';
import { LineSplitter } from './line-splitter.js';
import { formatStoredBlock } from './log-format.js';
import { partialLinePath } from './log-paths.js';
import { RotatingFile, type RotationLimits } from './rotating-file.js';

const DRAIN_CHUNK_BYTES = 64 * 1024;

/** Where one stream of one instance goes, and who hears about its lines. */
export interface StreamCaptureOptions {
  fifoPath: string;
  logPath: string;
  limits: RotationLimits;
  /** Called with every batch of lines (one block, each line followed by '\n') right after it was written to the log. */
  onLines(block: Buffer, time: number): void;
  onError(error: Error): void;
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
  #hasPartialFile = false;
  readonly #file: RotatingFile;
  readonly #splitter = new LineSplitter();
  readonly #onLines: StreamCaptureOptions['onLines'];
  readonly #onError: StreamCaptureOptions['onError'];
  #reader: Reader | undefined;
  #idleWaiters: Array<() => void> = [];
  #isClosed = false;

  constructor(options: StreamCaptureOptions) {
    this.#fifoPath = options.fifoPath;
    this.#onLines = options.onLines;
    this.#onError = options.onError;
    this.#file = new RotatingFile(options.logPath, options.limits, options.onError);
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
    this.#file.close();
  }

  /** A read end of the FIFO for the child to hold and never read (see OutputTarget.holders). */
  openHolder(): number {
    return openFifoReadEnd(this.#fifoPath);
  }

  /** Resolves once no reader is open: every byte written by finished runs is in the log. */
  whenIdle(): Promise<void> {
    if (!this.#reader) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Reads what is in the FIFO now, writes it (partial line included), and stops capturing. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#settlePreviousRun();
    if (this.#reader) this.#finishReader(this.#reader);
    this.#file.close();
  }

  #openReader(): Reader {
    const fd = openFifoReadEnd(this.#fifoPath);
    const socket = new Socket({ fd, readable: true, writable: false });
    const reader: Reader = { fd, socket };
    socket.on('data', (chunk: Buffer) => {
      if (this.#reader === reader) this.#take(chunk);
    });
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
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #take(chunk: Buffer): void {
    const block = this.#splitter.pushBlock(chunk);
    // Before the lines: a daemon killed between the two goes on from the right place.
    this.#savePartialLine();
    if (block) this.#store(block);
  }

  #flushPartialLine(): void {
    const block = this.#splitter.endBlock();
    this.#savePartialLine();
    if (block) this.#store(block);
  }

  /** Keeps the unfinished line on disk (only when there is one: a chunk that ends a line costs nothing). */
  #savePartialLine(): void {
    const pending = this.#splitter.pending;
    try {
      if (pending !== undefined) {
        writeFileSync(this.#partialPath, pending, { mode: 0o600 });
        this.#hasPartialFile = true;
      } else if (this.#hasPartialFile) {
        rmSync(this.#partialPath, { force: true });
        this.#hasPartialFile = false;
      }
    } catch (error) {
      this.#onError(
        new Error(
          `Keeping the unfinished line of ${this.#fifoPath} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        ),
      );
    }
  }

  #loadPartialLine(): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.#partialPath);
    } catch {
      return;
    }
    this.#hasPartialFile = true;
    // No newline in it, so this completes no line: it waits for the rest.
    this.#splitter.push(bytes);
  }

  #store(block: Buffer): void {
    const time = Date.now();
    try {
      this.#file.write(formatStoredBlock(block, time));
    } catch (error) {
      this.#onError(
        new Error(`Writing ${this.#file.path} failed: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
    this.#onLines(block, time);
  }
}
