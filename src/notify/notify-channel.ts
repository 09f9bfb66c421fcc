import { readSync } from 'node:fs';
import { Socket } from 'node:net';
import { isErrno, openFifoReadEnd, openFifoWriteEnd } from '../logs/fifo.js';
import { isEmptyDigest, type NotifyDigest, NotifyParser } from './notify-parser.js';

const DRAIN_CHUNK_BYTES = 64 * 1024;

/** Where one instance's notify channel is, and who hears what it says. */
export interface NotifyChannelOptions {
  fifoPath: string;
  /** Called once per chunk read, with what its lines said (never with an empty digest). */
  onDigest(digest: NotifyDigest): void;
  onError(error: Error): void;
}

interface Reader {
  fd: number;
  socket: Socket;
}

/**
 * The notify channel of one instance, across its runs: a FIFO whose read end the daemon holds
 * and whose write end each new process inherits (TEND_NOTIFY_FD). Only that process and its
 * children hold the write end, so what arrives is from them. Lines are parsed per chunk
 * (NotifyParser), so a flood costs one small digest per read, not one event per line.
 */
export class NotifyChannel {
  readonly #fifoPath: string;
  readonly #parser = new NotifyParser();
  readonly #onDigest: NotifyChannelOptions['onDigest'];
  readonly #onError: NotifyChannelOptions['onError'];
  #reader: Reader | undefined;
  #isClosed = false;

  constructor(options: NotifyChannelOptions) {
    this.#fifoPath = options.fifoPath;
    this.#onDigest = options.onDigest;
    this.#onError = options.onError;
  }

  /**
   * Opens a write end for the next run's child; the caller closes it once the child has it. What
   * the previous run left in the FIFO is read and dropped first: a READY=1 from a process that is
   * gone must never make its replacement ready.
   */
  openWriteEnd(): number {
    if (this.#isClosed) throw new Error(`Notify channel ${this.#fifoPath} is closed`);
    const reader = this.#reader;
    if (reader && this.#discardSync(reader)) this.#finishReader(reader);
    this.#parser.reset();
    this.#reader ??= this.#openReader();
    return openFifoWriteEnd(this.#fifoPath);
  }

  /**
   * A read end for the child to hold and never read, as it holds its output's: while no daemon
   * reads, its heartbeats wait in the pipe instead of killing it with SIGPIPE.
   */
  openHolder(): number {
    return openFifoReadEnd(this.#fifoPath);
  }

  /**
   * Starts reading without a new process: for an instance whose process was started by an
   * earlier daemon and still holds the write end. What it wrote meanwhile is read, not dropped.
   */
  attach(): void {
    if (this.#isClosed) throw new Error(`Notify channel ${this.#fifoPath} is closed`);
    this.#reader ??= this.#openReader();
  }

  /** Stops reading. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    if (this.#reader) this.#finishReader(this.#reader);
  }

  #openReader(): Reader {
    const fd = openFifoReadEnd(this.#fifoPath);
    const socket = new Socket({ fd, readable: true, writable: false });
    const reader: Reader = { fd, socket };
    socket.on('data', (chunk: Buffer) => {
      if (this.#reader !== reader) return;
      const digest = this.#parser.push(chunk);
      if (!isEmptyDigest(digest)) this.#onDigest(digest);
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

  /** Reads and drops what the FIFO holds now; returns whether it reached EOF (no writer left). */
  #discardSync(reader: Reader): boolean {
    const buffer = Buffer.allocUnsafe(DRAIN_CHUNK_BYTES);
    for (;;) {
      try {
        if (readSync(reader.fd, buffer, 0, buffer.length, null) === 0) return true;
      } catch (error) {
        return !isErrno(error, 'EAGAIN');
      }
    }
  }

  #finishReader(reader: Reader): void {
    if (this.#reader !== reader) return;
    this.#reader = undefined;
    reader.socket.destroy();
    this.#parser.reset();
  }
}
