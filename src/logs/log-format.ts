/** Width of the ISO-8601 UTC time that starts every stored line (`2026-11-22T13:27:44.123Z`). */
export const TIMESTAMP_WIDTH = 24;

const PREFIX_BYTES = TIMESTAMP_WIDTH + 1;
const NEWLINE = 0x0a;
/** Lines up to this long are found and copied byte by byte; longer ones by indexOf and one copy (a native call costs more than a short line). */
const SHORT_LINE_BYTES = 64;

/** The prefix `<ISO time> ` of one read time, as six big-endian 32-bit words and a last byte. */
interface StoredPrefix {
  time: number;
  words: [number, number, number, number, number, number];
  last: number;
}

/** The last prefix rendered: a flood reads many chunks within one millisecond. */
const lastPrefix: StoredPrefix = { time: Number.NaN, words: [0, 0, 0, 0, 0, 0], last: 0 };

/** Renders lines read at `time` as they are stored: `<ISO time> <line>\n` each, in one buffer. */
export function formatStoredLines(lines: readonly Buffer[], time: number): Buffer {
  const newline = Buffer.of(NEWLINE);
  return formatStoredBlock(Buffer.concat(lines.flatMap((line) => [line, newline])), time);
}

/**
 * Renders a block of lines read at `time` (each followed by '\n', as LineSplitter.pushBlock
 * gives them) as they are stored: `<ISO time> <line>\n` each, in a new buffer.
 */
export function formatStoredBlock(block: Buffer, time: number): Buffer {
  const out = Buffer.allocUnsafe(storedBlockLength(block));
  writeStoredBlock(block, time, out);
  return out;
}

/**
 * formatStoredBlock into memory that is reused from one call to the next: a flood writes
 * 4-5 times its own size once stamped, and fresh memory for each chunk costs a page fault per
 * 4 KiB and a garbage collection now and then. The memory holds a block made only of empty
 * lines, so its lines need not be counted first; pages never written are never resident. Each
 * result is valid until the next call (on any formatter): copy it to keep it.
 */
export class StoredBlockFormatter {
  #memory = Buffer.alloc(0);

  format(block: Buffer, time: number): Buffer {
    const most = block.length * (PREFIX_BYTES + 1);
    if (most > this.#memory.length) {
      this.#memory = Buffer.allocUnsafe(Math.max(most, 2 * this.#memory.length));
    }
    return this.#memory.subarray(0, writeStoredBlock(block, time, this.#memory));
  }
}

/** Bytes of a block once stored: a prefix per line (an unfinished last line counts). */
function storedBlockLength(block: Buffer): number {
  const length = block.length;
  let lineCount = 0;
  for (let index = 0; index < length; index++) {
    if (block[index] === NEWLINE) lineCount++;
  }
  if (length > 0 && block[length - 1] !== NEWLINE) lineCount++;
  return length + lineCount * PREFIX_BYTES;
}

/**
 * Writes the stored form of `block` at the start of `out` (at least storedBlockLength long) and
 * returns its length, with no object per line. At a flood of short lines this is most of the daemon's work per chunk, and the writer
 * waits on it once the FIFO is full: the prefix goes in as six 32-bit stores and a byte rather
 * than 25 byte stores, short lines are copied while they are scanned.
 */
function writeStoredBlock(block: Buffer, time: number, out: Buffer): number {
  const { words, last } = prefixOf(time);
  const length = block.length;
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  const [w0, w1, w2, w3, w4, w5] = words;
  let offset = 0;
  let index = 0;
  while (index < length) {
    view.setUint32(offset, w0);
    view.setUint32(offset + 4, w1);
    view.setUint32(offset + 8, w2);
    view.setUint32(offset + 12, w3);
    view.setUint32(offset + 16, w4);
    view.setUint32(offset + 20, w5);
    out[offset + 24] = last;
    offset += PREFIX_BYTES;
    // A short line is found and copied in the same pass; a longer one by indexOf and one copy.
    const scanEnd = Math.min(index + SHORT_LINE_BYTES, length);
    let byte = -1;
    while (index < scanEnd && byte !== NEWLINE) {
      byte = block[index++] as number;
      out[offset++] = byte;
    }
    if (byte !== NEWLINE && index < length) {
      const newline = block.indexOf(NEWLINE, index);
      const end = newline === -1 ? length : newline + 1;
      offset += block.copy(out, offset, index, end);
      index = end;
    }
  }
  return offset;
}

function prefixOf(time: number): StoredPrefix {
  if (time === lastPrefix.time) return lastPrefix;
  const bytes = Buffer.alloc(PREFIX_BYTES);
  bytes.write(`${new Date(time).toISOString()} `, 'latin1');
  lastPrefix.words = [
    bytes.readUInt32BE(0),
    bytes.readUInt32BE(4),
    bytes.readUInt32BE(8),
    bytes.readUInt32BE(12),
    bytes.readUInt32BE(16),
    bytes.readUInt32BE(20),
  ];
  lastPrefix.last = bytes[TIMESTAMP_WIDTH] as number;
  lastPrefix.time = time;
  return lastPrefix;
}

/** Splits a stored line into its time and text; `time` is NaN when the line has no valid prefix. */
export function parseStoredLine(stored: string): { time: number; line: string } {
  if (stored.length >= PREFIX_BYTES && stored[TIMESTAMP_WIDTH] === ' ') {
    const time = Date.parse(stored.slice(0, TIMESTAMP_WIDTH));
    if (!Number.isNaN(time)) return { time, line: stored.slice(PREFIX_BYTES) };
  }
  return { time: Number.NaN, line: stored };
}
