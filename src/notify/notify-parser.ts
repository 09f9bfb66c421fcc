/** Longest notify line read; a longer one is dropped whole (sd_notify's own messages are short). */
export const MAX_NOTIFY_LINE_BYTES = 4096;

/** Longest STATUS text kept, in characters; a longer one is cut and ends in `…`. */
export const MAX_STATUS_CHARS = 200;

/**
 * What one chunk of notify lines said, coalesced: a flood of WATCHDOG=1 is one `heartbeats`
 * count, and only the last STATUS counts. `ignored` counts lines that are not understood.
 */
export interface NotifyDigest {
  isReady: boolean;
  heartbeats: number;
  /** WATCHDOG=trigger: the program says it is hung. */
  isWatchdogTrigger: boolean;
  isStopping: boolean;
  /** SHUTDOWN=1: the program is done and asks to be stopped (a task program's task ends). */
  isShutdown: boolean;
  /** TASK_STATE=free or TASK_STATE=allocated (the last one said): the program marks itself (docs/tasks.md). */
  taskState: 'free' | 'allocated' | undefined;
  status: string | undefined;
  ignored: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const READY = Buffer.from('READY=1');
const WATCHDOG = Buffer.from('WATCHDOG=1');
const WATCHDOG_TRIGGER = Buffer.from('WATCHDOG=trigger');
const STOPPING = Buffer.from('STOPPING=1');
const SHUTDOWN = Buffer.from('SHUTDOWN=1');
const TASK_FREE = Buffer.from('TASK_STATE=free');
const TASK_ALLOCATED = Buffer.from('TASK_STATE=allocated');
const STATUS_PREFIX = Buffer.from('STATUS=');
// Control characters (but tab) would let a program rewrite the terminal of whoever reads `tend status`.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/**
 * Reads sd_notify's newline-separated assignments (READY=1, WATCHDOG=1, WATCHDOG=trigger,
 * STOPPING=1, STATUS=text, and tend's SHUTDOWN=1, TASK_STATE=free|allocated) from a byte stream in chunks. Memory is bounded: at most one partial
 * line of MAX_NOTIFY_LINE_BYTES is held between chunks, and a line longer than that is skipped
 * up to its newline without being stored.
 */
export class NotifyParser {
  #pending: Buffer | undefined;
  /** Inside a line that grew past the cap: everything up to the next newline is dropped. */
  #isSkipping = false;

  /** Bytes of an unfinished line held for the next chunk. */
  get pendingBytes(): number {
    return this.#pending?.length ?? 0;
  }

  /** Reads a chunk; returns what its complete lines said. */
  push(chunk: Buffer): NotifyDigest {
    const digest = emptyDigest();
    let data = chunk;
    if (this.#pending) {
      const end = chunk.indexOf(NEWLINE);
      // Only the pending line's tail is copied, never the whole chunk.
      const tail = chunk.subarray(0, end === -1 ? chunk.length : end);
      if (this.#pending.length + tail.length > MAX_NOTIFY_LINE_BYTES) {
        this.#pending = undefined;
        this.#isSkipping = true;
      } else {
        const line = Buffer.concat([this.#pending, tail]);
        this.#pending = undefined;
        if (end === -1) {
          this.#pending = line;
          return digest;
        }
        readLine(line, 0, line.length, digest);
        data = chunk.subarray(end + 1);
      }
    }
    let start = 0;
    if (this.#isSkipping) {
      const end = data.indexOf(NEWLINE);
      if (end === -1) return digest;
      this.#isSkipping = false;
      digest.ignored += 1;
      start = end + 1;
    }
    for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
      if (end - start > MAX_NOTIFY_LINE_BYTES) digest.ignored += 1;
      else readLine(data, start, end, digest);
      start = end + 1;
    }
    const rest = data.length - start;
    if (rest > MAX_NOTIFY_LINE_BYTES) this.#isSkipping = true;
    else if (rest > 0) this.#pending = Buffer.from(data.subarray(start));
    return digest;
  }

  /** Forgets a partial line (a new process took the channel). */
  reset(): void {
    this.#pending = undefined;
    this.#isSkipping = false;
  }
}

/** Whether a digest says anything at all. */
export function isEmptyDigest(digest: NotifyDigest): boolean {
  return (
    !digest.isReady &&
    digest.heartbeats === 0 &&
    !digest.isWatchdogTrigger &&
    !digest.isStopping &&
    !digest.isShutdown &&
    digest.taskState === undefined &&
    digest.status === undefined &&
    digest.ignored === 0
  );
}

function emptyDigest(): NotifyDigest {
  return {
    isReady: false,
    heartbeats: 0,
    isWatchdogTrigger: false,
    isStopping: false,
    isShutdown: false,
    taskState: undefined,
    status: undefined,
    ignored: 0,
  };
}

function readLine(data: Buffer, start: number, rawEnd: number, digest: NotifyDigest): void {
  const end = rawEnd > start && data[rawEnd - 1] === CARRIAGE_RETURN ? rawEnd - 1 : rawEnd;
  if (end === start) return;
  if (isExactly(data, start, end, WATCHDOG)) digest.heartbeats += 1;
  else if (isExactly(data, start, end, READY)) digest.isReady = true;
  else if (isExactly(data, start, end, STOPPING)) digest.isStopping = true;
  else if (isExactly(data, start, end, WATCHDOG_TRIGGER)) digest.isWatchdogTrigger = true;
  else if (isExactly(data, start, end, SHUTDOWN)) digest.isShutdown = true;
  else if (isExactly(data, start, end, TASK_FREE)) digest.taskState = 'free';
  else if (isExactly(data, start, end, TASK_ALLOCATED)) digest.taskState = 'allocated';
  else if (
    end - start >= STATUS_PREFIX.length &&
    data.compare(STATUS_PREFIX, 0, STATUS_PREFIX.length, start, start + STATUS_PREFIX.length) === 0
  ) {
    digest.status = cleanStatus(data.toString('utf8', start + STATUS_PREFIX.length, end));
  } else digest.ignored += 1;
}

function isExactly(data: Buffer, start: number, end: number, word: Buffer): boolean {
  return end - start === word.length && data.compare(word, 0, word.length, start, end) === 0;
}

/** STATUS text as shown: control characters become spaces, and it is cut at MAX_STATUS_CHARS. */
export function cleanStatus(text: string): string {
  const clean = text.replace(CONTROL_CHARACTERS, ' ').trim();
  const chars = [...clean];
  return chars.length > MAX_STATUS_CHARS
    ? `${chars.slice(0, MAX_STATUS_CHARS - 1).join('')}…`
    : clean;
}
