import { closeSync } from 'node:fs';
import { programNameProblem } from '../config/program-name.js';
import type { ProgramSpec } from '../config/program-spec.js';
import { DaemonError, UsageError } from '../errors.js';
import type { SpawnRequest } from '../supervisor/types.js';
import { ensureFifos, removeInstanceFiles } from './fifo.js';
import type { EnsureFifos } from './fifo-batch.js';
import { fifoPath, logFilePath, runDirectory } from './log-paths.js';
import type { RotationLimits, WriteBytes } from './rotating-file.js';
import { StreamCapture } from './stream-capture.js';
import { tailLogs } from './tail.js';
import {
  LOG_STREAMS,
  type LogRecord,
  type LogStream,
  type OutputHandles,
  type TailOptions,
} from './types.js';

/** Options of a LogManager. */
export interface LogManagerOptions {
  /** The TEND_HOME whose `run/` holds the FIFOs and `logs/` the log files. */
  home: string;
  /** Called on a capture problem that loses no process (a failed log write or rotation); defaults to a process warning. */
  onError?: (error: Error) => void;
  /**
   * Called with the error when a first stream cannot write its log (a full disk: its reading
   * stops, its writer blocks), and with null once no stream is blocked any more. Not per write.
   */
  onBlocked?: (error: Error | null) => void;
  /** Wait before a blocked stream's first retry (doubled up to 5 s); tests shorten it. */
  firstRetryDelayMs?: number;
  /** How bytes reach the log files (tests inject a full disk). */
  writeBytes?: WriteBytes;
  /** How `prepare` makes the FIFOs (the daemon shares one batch with the notify channels'). */
  ensureFifos?: EnsureFifos;
  /** Called when an instance's output is captured for the first time, or a program's is removed (the output holder's set). */
  onFifoSetChanged?: () => void;
}

/** Listener of live lines, for `tend logs -f`. */
export type LineListener = (record: LogRecord) => void;

type InstanceCapture = Record<LogStream, StreamCapture>;

const NEWLINE = 0x0a;

/**
 * Captures every instance's stdout and stderr through named FIFOs into rotating log files,
 * tells followers about each line as soon as it is read, and reads the last lines back.
 */
export class LogManager {
  readonly #home: string;
  readonly #onError: (error: Error) => void;
  readonly #options: LogManagerOptions;
  /** Streams whose log cannot be written now, keyed `name:index:stream`. */
  readonly #blocked = new Set<string>();
  readonly #captures = new Map<string, Map<number, InstanceCapture>>();
  readonly #knownNames = new Set<string>();
  readonly #listeners = new Set<LineListener>();
  /** Read time of each instance's latest line, keyed `name:index`, for --silence-timeout. */
  readonly #lastOutputAt = new Map<string, number>();
  #isClosed = false;

  constructor(options: LogManagerOptions) {
    this.#home = options.home;
    this.#options = options;
    this.#onError = options.onError ?? ((error) => process.emitWarning(error));
    // Bound, so that `createNodeRuntime({ openOutput: logs.openOutput })` works as written.
    this.openOutput = this.openOutput.bind(this);
  }

  /** Creates the FIFOs of instances 0…instanceCount-1 that do not exist yet; await it when a program is added or scaled up. */
  async prepare(name: string, instanceCount: number): Promise<void> {
    checkName(name);
    this.#knownNames.add(name);
    const paths: string[] = [];
    for (let instance = 0; instance < instanceCount; instance++) {
      for (const stream of LOG_STREAMS) paths.push(fifoPath(this.#home, name, instance, stream));
    }
    await (this.#options.ensureFifos ?? ensureFifos)(paths);
  }

  /**
   * Gives a spawn its stdout and stderr: the write ends of the instance's FIFOs, with the
   * capture already reading them. Synchronous; creates the FIFOs on the spot if `prepare`
   * did not. `afterSpawn` must be called once the child was spawned (or failed to be).
   */
  openOutput(request: SpawnRequest): OutputHandles {
    if (this.#isClosed) {
      throw new DaemonError(
        'TEND_ERR_DAEMON_STOPPING',
        'Output capture is closed: tend is stopping',
      );
    }
    const { spec, instance } = request;
    let stdout: number;
    const opened: number[] = [];
    try {
      const capture = this.#captureOf(spec, instance);
      stdout = capture.out.openWriteEnd();
      opened.push(stdout);
      const stderr = capture.err.openWriteEnd();
      opened.push(stderr);
      const holders = [capture.out.openHolder()];
      opened.push(...holders);
      holders.push(capture.err.openHolder());
      opened.push(holders[1] as number);
      return { stdout, stderr, holders, afterSpawn: closeOnce(...opened) };
    } catch (error) {
      // Rethrown as it is: the runtime turns an OS error's code into the spawn failure's reason.
      for (const fd of opened) closeSync(fd);
      throw error;
    }
  }

  /** Epoch ms when the daemon last read a line of an instance (stdout or stderr), or undefined. */
  lastOutputAt(name: string, instance: number): number | undefined {
    return this.#lastOutputAt.get(`${name}:${instance}`);
  }

  /** The out and err FIFOs of every instance whose output this manager captures. */
  capturedFifos(): string[] {
    const paths: string[] = [];
    for (const [name, instances] of this.#captures) {
      for (const instance of instances.keys()) {
        for (const stream of LOG_STREAMS) paths.push(fifoPath(this.#home, name, instance, stream));
      }
    }
    return paths;
  }

  /** Reads on from the FIFOs of an instance that a previous daemon started (an adopted run). */
  resumeOutput(request: SpawnRequest): void {
    const capture = this.#captureOf(request.spec, request.instance);
    for (const stream of LOG_STREAMS) capture[stream].resume();
  }

  /**
   * Hands every stream over to the next daemon: what the FIFOs hold now goes to the logs, the
   * unfinished lines stay in their files, and reading stops without ending any run's output.
   */
  handOver(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const instances of this.#captures.values()) {
      for (const capture of instances.values()) {
        for (const stream of LOG_STREAMS) capture[stream].handOver();
      }
    }
    this.#captures.clear();
    this.#listeners.clear();
  }

  /** Calls `listener` with every line as soon as it is read; returns the function that unsubscribes. */
  onLine(listener: LineListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * The last `lines` stored lines of each instance of one program, or of every program this
   * manager knows (prepared or spawned, not removed), oldest first, merged by read time. Synchronous, so
   * `tail` followed by `onLine` in the same tick misses no line and repeats none.
   */
  tail(options: TailOptions): LogRecord[] {
    if (!Number.isInteger(options.lines) || options.lines < 0) {
      throw new UsageError(
        'TEND_ERR_USAGE_INVALID_ARGUMENT',
        `Expected \`lines\` to be a whole number ≥ 0, got ${options.lines}`,
      );
    }
    if (options.name !== undefined) checkName(options.name);
    const names = options.name !== undefined ? [options.name] : [...this.#knownNames].sort();
    return tailLogs(this.#home, names, options.lines, options.stream);
  }

  /** Resolves once every finished run of the program (or of all) has had its output read to EOF. */
  async whenIdle(name?: string): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const [programName, instances] of this.#captures) {
      if (name !== undefined && programName !== name) continue;
      for (const capture of instances.values()) {
        for (const stream of LOG_STREAMS) waits.push(capture[stream].whenIdle());
      }
    }
    await Promise.all(waits);
  }

  /**
   * Forgets a deleted program: writes what its FIFOs still hold, closes its captures and
   * deletes its FIFOs. Its log files stay on disk. Call it once its processes have exited.
   */
  remove(name: string): void {
    checkName(name);
    for (const capture of this.#captures.get(name)?.values() ?? []) {
      for (const stream of LOG_STREAMS) capture[stream].close();
    }
    const wasCaptured = this.#captures.delete(name);
    this.#knownNames.delete(name);
    for (const key of this.#blocked) if (key.startsWith(`${name}:`)) this.#setBlocked(key, null);
    for (const key of this.#lastOutputAt.keys()) {
      if (key.startsWith(`${name}:`)) this.#lastOutputAt.delete(key);
    }
    removeInstanceFiles(runDirectory(this.#home), name, /^\.(?:out|err)(?:\.partial)?$/);
    if (wasCaptured) this.#options.onFifoSetChanged?.();
  }

  /** Shutdown: writes what the FIFOs hold now, then stops reading and closes every log file. */
  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const instances of this.#captures.values()) {
      for (const capture of instances.values()) {
        for (const stream of LOG_STREAMS) capture[stream].close();
      }
    }
    this.#captures.clear();
    this.#listeners.clear();
  }

  #captureOf(spec: ProgramSpec, instance: number): InstanceCapture {
    this.#knownNames.add(spec.name);
    let instances = this.#captures.get(spec.name);
    if (!instances) {
      instances = new Map();
      this.#captures.set(spec.name, instances);
    }
    const limits: RotationLimits = { maxBytes: spec.logMaxBytes, maxFiles: spec.logMaxFiles };
    const existing = instances.get(instance);
    if (existing) {
      for (const stream of LOG_STREAMS) existing[stream].setLimits(limits);
      return existing;
    }
    const out = this.#createCapture(spec.name, instance, 'out', limits);
    let err: StreamCapture;
    try {
      err = this.#createCapture(spec.name, instance, 'err', limits);
    } catch (error) {
      out.close();
      throw error;
    }
    const capture: InstanceCapture = { out, err };
    instances.set(instance, capture);
    this.#options.onFifoSetChanged?.();
    return capture;
  }

  #createCapture(
    name: string,
    instance: number,
    stream: LogStream,
    limits: RotationLimits,
  ): StreamCapture {
    return new StreamCapture({
      fifoPath: fifoPath(this.#home, name, instance, stream),
      logPath: logFilePath(this.#home, name, instance, stream),
      limits,
      onLines: (block, time) => this.#emit(name, instance, stream, block, time),
      onError: this.#onError,
      onBlocked: (error) => this.#setBlocked(`${name}:${instance}:${stream}`, error),
      firstRetryDelayMs: this.#options.firstRetryDelayMs,
      writeBytes: this.#options.writeBytes,
    });
  }

  /** Whether any stream's log cannot be written now (a full disk). */
  get isBlocked(): boolean {
    return this.#blocked.size > 0;
  }

  #setBlocked(key: string, error: Error | null): void {
    const wasBlocked = this.#blocked.size > 0;
    if (error) this.#blocked.add(key);
    else this.#blocked.delete(key);
    if (!wasBlocked && error) this.#options.onBlocked?.(error);
    else if (wasBlocked && this.#blocked.size === 0) this.#options.onBlocked?.(null);
  }

  /** Tells the listeners of each line of a block (each followed by '\n'); split only when someone listens. */
  #emit(name: string, instance: number, stream: LogStream, block: Buffer, time: number): void {
    this.#lastOutputAt.set(`${name}:${instance}`, time);
    if (this.#listeners.size === 0) return;
    for (
      let start = 0, end = block.indexOf(NEWLINE);
      end !== -1;
      end = block.indexOf(NEWLINE, start)
    ) {
      const line = block.toString('utf8', start, end);
      start = end + 1;
      const record: LogRecord = { name, instance, stream, time, line };
      for (const listener of this.#listeners) {
        try {
          listener(record);
        } catch (error) {
          this.#onError(error instanceof Error ? error : new Error(String(error)));
        }
      }
    }
  }
}

function closeOnce(...fds: number[]): (pid: number | undefined) => void {
  let isClosed = false;
  return () => {
    if (isClosed) return;
    isClosed = true;
    for (const fd of fds) closeSync(fd);
  };
}

function checkName(name: string): void {
  const problem = programNameProblem(name);
  if (problem) throw new UsageError('TEND_ERR_PROGRAM_INVALID_NAME', problem);
}
