/** Width of the ISO-8601 UTC time that starts every stored line (`2026-11-22T13:27:44.123Z`). */
export const TIMESTAMP_WIDTH = 24;

const PREFIX_BYTES = TIMESTAMP_WIDTH + 1;
const NEWLINE = 0x0a;

/** Renders lines read at `time` as they are stored: `<ISO time> <line>\n` each, in one buffer. */
export function formatStoredLines(lines: readonly Buffer[], time: number): Buffer {
  const newline = Buffer.of(NEWLINE);
  return formatStoredBlock(Buffer.concat(lines.flatMap((line) => [line, newline])), time);
}

/**
 * Renders a block of lines read at `time` (each followed by '\n', as LineSplitter.pushBlock
 * gives them) as they are stored: `<ISO time> <line>\n` each. One pass over the bytes into one
 * buffer, with no object per line: at a flood of short lines this is most of the daemon's work
 * per chunk, and the writer waits on it once the pipe is full.
 */
export function formatStoredBlock(block: Buffer, time: number): Buffer {
  const prefix = Buffer.from(`${new Date(time).toISOString()} `, 'latin1');
  let lineCount = 0;
  for (let index = 0; index < block.length; index++) {
    if (block[index] === NEWLINE) lineCount++;
  }
  const out = Buffer.allocUnsafe(block.length + lineCount * PREFIX_BYTES);
  let offset = 0;
  let isLineStart = true;
  for (let index = 0; index < block.length; index++) {
    if (isLineStart) {
      for (let at = 0; at < PREFIX_BYTES; at++) out[offset++] = prefix[at] as number;
      isLineStart = false;
    }
    const byte = block[index] as number;
    out[offset++] = byte;
    if (byte === NEWLINE) isLineStart = true;
  }
  return out;
}

/** Splits a stored line into its time and text; `time` is NaN when the line has no valid prefix. */
export function parseStoredLine(stored: string): { time: number; line: string } {
  if (stored.length >= PREFIX_BYTES && stored[TIMESTAMP_WIDTH] === ' ') {
    const time = Date.parse(stored.slice(0, TIMESTAMP_WIDTH));
    if (!Number.isNaN(time)) return { time, line: stored.slice(PREFIX_BYTES) };
  }
  return { time: Number.NaN, line: stored };
}
