import {
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { TendError } from '../errors.js';
import { readBootId } from '../process/proc-identity.js';
import {
  fsyncDirectory,
  removeLeftoverTempFiles,
  removeQuietly,
  removeQuietlySync,
  replaceFileAtomicSync,
  tempPathFor,
  writeDurableFile,
} from './atomic-write.js';
import { parseStateText } from './parse-state.js';
import {
  emptyState,
  type PersistedState,
  STATE_VERSION,
  type StateToSave,
} from './persisted-state.js';

/** Name of the state file inside TEND_HOME. */
export const STATE_FILE_NAME = 'state.json';
/** Permissions of the state file: it holds commands and environments, so only its owner reads it. */
export const STATE_FILE_MODE = 0o600;
/**
 * Name of the copy of the last state written, a file of its own (not a link, so that a state
 * file overwritten in place leaves it intact): what the next daemon adopts from when the state
 * file was deleted or corrupted while processes ran.
 */
export const LAST_GOOD_FILE_NAME = 'state.json.last-good';
/** What a moved-aside corrupt state file's name adds, before a timestamp. */
export const CORRUPT_FILE_INFIX = '.corrupt-';

/** What `load()` found: the state to start from, and what was wrong with the file, in words. */
export interface LoadResult {
  state: PersistedState;
  problems: string[];
}

/** Options of a save. */
export interface SaveOptions {
  /** Set when an empty program list is meant to replace a non-empty one (the last program was deleted). */
  allowEmpty?: boolean;
}

/**
 * What a save writes: a state, or a function that builds it when the write starts, so that saves
 * asked for while a write runs (each exit of a pool being stopped) build one state, not one each.
 */
export type StateSource = StateToSave | (() => StateToSave);

interface PendingWrite {
  state: StateSource;
  /** Whether an empty list may replace a non-empty one: set when any coalesced built-later save allowed it. */
  allowEmpty: boolean;
  /** Order of the request; a write never replaces the content of a later request. */
  sequence: number;
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The daemon's durable state in `$TEND_HOME/state.json`. Every write is atomic (temp file, fsync,
 * rename, fsync of the directory), so a crash leaves the previous or the next state, never a broken one.
 * Saves are serialized and coalesced: while one write runs, later requests collapse into one write
 * of the latest state. Call `load()` once before saving.
 */
/** Tests only: names a file whose presence makes the daemon skip its state writes (test/e2e/orphans.test.ts). */
export const STATE_FROZEN_FILE_ENV = 'TEND_TEST_STATE_FROZEN_FILE';

function isFrozenForTests(): boolean {
  const path = process.env[STATE_FROZEN_FILE_ENV];
  return path !== undefined && path !== '' && existsSync(path);
}

export class StateStore {
  /** Absolute path of the state file. */
  readonly path: string;
  /** Absolute path of the copy of the last state written (LAST_GOOD_FILE_NAME). */
  readonly lastGoodPath: string;
  readonly #dir: string;
  readonly #bootId: string | null = readBootId() ?? null;
  #isLoaded = false;
  #isDirReady = false;
  /** Programs in the most recent accepted request, or on disk at load: what an empty save would replace. */
  #latestProgramCount = 0;
  #nextSequence = 1;
  /** Sequence of the request whose content the state file's directory entry now names. */
  #renamedSequence = 0;
  #pending: PendingWrite | undefined;
  #isWriting = false;
  #writeCount = 0;

  constructor(home: string) {
    this.#dir = home;
    this.path = join(home, STATE_FILE_NAME);
    this.lastGoodPath = join(home, LAST_GOOD_FILE_NAME);
  }

  /** How many times the file was replaced since this store was made (coalesced saves count once). */
  get writeCount(): number {
    return this.#writeCount;
  }

  /**
   * Reads the state at start-up. A missing file is an empty state. A file that cannot be used is
   * moved aside to `state.json.corrupt-<timestamp>` and said so in `problems`; a program that cannot
   * be used is left out, said so, and the original file is copied aside. Temp files of a crashed write are deleted.
   * Pids recorded in another boot are cleared: their start times mean nothing in this one.
   */
  load(): LoadResult {
    removeLeftoverTempFiles(this.path);
    removeLeftoverTempFiles(this.lastGoodPath);
    this.#isLoaded = true;
    const result = this.#read();
    if (this.#bootId === null || result.state.bootId !== this.#bootId) {
      forgetProcesses(result.state);
    }
    this.#latestProgramCount = result.state.programs.length;
    return result;
  }

  /**
   * Writes a state; resolves once a write that contains it (or a later state) is on disk.
   * Rejects, writing nothing, when an empty program list would replace a non-empty one without
   * `allowEmpty` (checked when the state is built, for a function).
   */
  save(state: StateSource, options: SaveOptions = {}): Promise<void> {
    try {
      if (typeof state === 'function') this.#refuseUnloaded();
      else this.#accept(state, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const sequence = this.#nextSequence++;
    const allowEmpty = typeof state === 'function' && options.allowEmpty === true;
    if (this.#pending) {
      this.#pending.state = state;
      this.#pending.sequence = sequence;
      this.#pending.allowEmpty ||= allowEmpty;
      return this.#pending.promise;
    }
    this.#pending = makePendingWrite(state, sequence, allowEmpty);
    if (!this.#isWriting) {
      this.#isWriting = true;
      // A microtask later, so that saves made in the same tick share the first write.
      queueMicrotask(() => void this.#drain());
    }
    return this.#pending.promise;
  }

  /** Writes a state before returning, for shutdown; settles every save still waiting, since this state is newer. */
  saveSync(state: StateToSave, options: SaveOptions = {}): void {
    this.#accept(state, options);
    const sequence = this.#nextSequence++;
    this.#ensureDir();
    const text = serializeState(state, this.#bootId);
    replaceFileAtomicSync(this.path, text, STATE_FILE_MODE);
    this.#renamedSequence = sequence;
    this.#writeCount += 1;
    this.#writeLastGood(text);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.resolve();
  }

  #accept(state: StateToSave, options: SaveOptions): void {
    this.#refuseUnloaded();
    if (state.programs.length === 0 && this.#latestProgramCount > 0 && !options.allowEmpty) {
      throw new TendError(
        'TEND_ERR_INTERNAL',
        `Refused to replace a state of ${this.#latestProgramCount} program(s) in ${this.path} with an empty one; pass { allowEmpty: true } when every program was deleted on purpose`,
      );
    }
    this.#latestProgramCount = state.programs.length;
  }

  #refuseUnloaded(): void {
    if (!this.#isLoaded) {
      throw new TendError(
        'TEND_ERR_INTERNAL',
        `StateStore.load() must run before the first save, so that ${this.path} is checked before it is replaced`,
      );
    }
  }

  async #drain(): Promise<void> {
    while (this.#pending) {
      const job = this.#pending;
      this.#pending = undefined;
      try {
        let state: StateToSave;
        if (typeof job.state === 'function') {
          state = job.state();
          this.#accept(state, { allowEmpty: job.allowEmpty });
        } else state = job.state;
        await this.#write(state, job.sequence);
        job.resolve();
      } catch (error) {
        job.reject(error);
      }
    }
    this.#isWriting = false;
  }

  async #write(state: StateToSave, sequence: number): Promise<void> {
    this.#ensureDir();
    const temp = tempPathFor(this.path);
    const text = serializeState(state, this.#bootId);
    try {
      await writeDurableFile(temp, text, STATE_FILE_MODE);
    } catch (error) {
      await removeQuietly(temp);
      throw error;
    }
    // A saveSync ran while this write was flushing and wrote a newer state: keep that one.
    if (sequence <= this.#renamedSequence) {
      await removeQuietly(temp);
      return;
    }
    // Tests only: while that file exists, no state is put in place (the window of a state write
    // that a kill -9 beats, made deterministic).
    if (isFrozenForTests()) {
      await removeQuietly(temp);
      return;
    }
    // Renamed synchronously so that renames happen in request order, even against saveSync.
    try {
      renameSync(temp, this.path);
    } catch (error) {
      await removeQuietly(temp);
      throw error;
    }
    this.#renamedSequence = sequence;
    this.#writeCount += 1;
    this.#writeLastGood(text);
    await fsyncDirectory(this.#dir);
  }

  /**
   * Replaces the last-good copy (temp file and rename, so it is never half written). Not
   * flushed: the state file is what survives a power cut; this copy covers a state file deleted
   * or overwritten while the machine runs. A failure leaves the previous copy and is not fatal
   * (the state file itself was written).
   */
  #writeLastGood(text: string): void {
    const temp = tempPathFor(this.lastGoodPath);
    try {
      writeFileSync(temp, text, { mode: STATE_FILE_MODE });
      renameSync(temp, this.lastGoodPath);
    } catch {
      removeQuietlySync(temp);
    }
  }

  #ensureDir(): void {
    if (this.#isDirReady) return;
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#isDirReady = true;
  }

  #read(): LoadResult {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return this.#recover(`${this.path} was missing`) ?? { state: emptyState(), problems: [] };
      }
      return this.#recoverAfter(this.#moveAside(`could not be read (${(error as Error).message})`));
    }
    const parsed = parseStateText(text);
    switch (parsed.kind) {
      case 'valid':
        return { state: parsed.state, problems: [] };
      case 'corrupt':
        return this.#recoverAfter(this.#moveAside(parsed.reason));
      case 'partial':
        return { state: parsed.state, problems: this.#reportLeftOut(parsed.leftOut) };
    }
  }

  /** A corrupt state file was moved aside: starts from the last-good copy if there is one. */
  #recoverAfter(movedAside: LoadResult): LoadResult {
    const recovered = this.#recover(`${this.path} could not be used`);
    if (!recovered) return movedAside;
    const [problem = ''] = movedAside.problems;
    return {
      state: recovered.state,
      problems: [problem.replace(/ and started with no programs$/, ''), ...recovered.problems],
    };
  }

  /**
   * The state of the last-good copy, when the state file is gone or unusable and the copy holds
   * programs, with a line saying so; undefined otherwise (a first start has neither file).
   */
  #recover(what: string): LoadResult | undefined {
    let text: string;
    try {
      text = readFileSync(this.lastGoodPath, 'utf8');
    } catch {
      return undefined;
    }
    const parsed = parseStateText(text);
    if (parsed.kind === 'corrupt' || parsed.state.programs.length === 0) return undefined;
    const count = parsed.state.programs.length;
    return {
      state: parsed.state,
      problems: [
        `${what}; recovered ${count} program(s) and their processes from ${this.lastGoodPath} (the copy of the last state written, at ${parsed.state.savedAt})`,
      ],
    };
  }

  #moveAside(reason: string): LoadResult {
    const aside = this.#asidePath();
    try {
      renameSync(this.path, aside);
    } catch (error) {
      return {
        state: emptyState(),
        problems: [
          `State file ${this.path} ${reason}, and could not be moved aside to ${aside} (${(error as Error).message}); starting with no programs, and the next save will replace it`,
        ],
      };
    }
    return {
      state: emptyState(),
      problems: [
        `State file ${this.path} ${reason}; moved it aside to ${aside} and started with no programs`,
      ],
    };
  }

  #reportLeftOut(leftOut: string[]): string[] {
    const aside = this.#asidePath();
    let whereOriginal: string;
    try {
      copyFileSync(this.path, aside, constants.COPYFILE_EXCL);
      whereOriginal = `the original file was copied to ${aside}`;
    } catch (error) {
      whereOriginal = `the original file could not be copied to ${aside} (${(error as Error).message})`;
    }
    return leftOut.map(
      (problem) => `State file ${this.path}: ${problem}; left it out, ${whereOriginal}`,
    );
  }

  #asidePath(): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const base = `${this.path}${CORRUPT_FILE_INFIX}${stamp}`;
    let candidate = base;
    for (let attempt = 1; existsSync(candidate); attempt += 1) candidate = `${base}-${attempt}`;
    return candidate;
  }
}

/** The bytes of the state file for a state. */
export function serializeState(
  state: StateToSave,
  bootId: string | null,
  now: Date = new Date(),
): string {
  const document: PersistedState = {
    version: STATE_VERSION,
    savedAt: now.toISOString(),
    bootId,
    nextEventSeq: state.nextEventSeq ?? 1,
    programs: state.programs,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

function forgetProcesses(state: PersistedState): void {
  for (const program of state.programs) {
    for (const instance of program.instances) {
      instance.lastPid = null;
      instance.lastPidStartTime = null;
    }
  }
}

function makePendingWrite(state: StateSource, sequence: number, allowEmpty: boolean): PendingWrite {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  return { state, allowEmpty, sequence, promise, resolve, reject };
}
