/** Which output stream of a process a line came from. */
export type LogStream = 'out' | 'err';

/** Both output streams, in the order files and FIFOs are handled. */
export const LOG_STREAMS: readonly LogStream[] = ['out', 'err'];

/** One line of a process's output, as stored and as followers receive it. */
export interface LogRecord {
  name: string;
  instance: number;
  stream: LogStream;
  /** Epoch ms when the daemon read the line. */
  time: number;
  line: string;
}

/** What `LogManager.tail` reads: the last `lines` lines of a program (or of every known one). */
export interface TailOptions {
  name?: string;
  lines: number;
  stream: LogStream | 'both';
}

/** The descriptors a spawn gives the child as stdout/stderr, and the hook that closes the daemon's copies. */
export interface OutputHandles {
  stdout: number;
  stderr: number;
  /** Read ends of the instance's own FIFOs that it inherits and never reads (see spawn-process.ts). */
  holders: number[];
  afterSpawn(pid: number | undefined): void;
}
