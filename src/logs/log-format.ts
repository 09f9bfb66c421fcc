/** Width of the ISO-8601 UTC time that starts every stored line (`2026-11-22T13:27:44.123Z`). */
export const TIMESTAMP_WIDTH = 24;

const PREFIX_BYTES = TIMESTAMP_WIDTH + 1;
const NEWLINE = 0x0a;

/** Renders lines read at `time` as they are stored: `<ISO time> <line>\n` each, in one buffer. */
export function formatStoredLines(lines: readonly Buffer[], time: number): Buffer {
  const prefix = Buffer.from(`${new Date(time).toISOString()} `, 'latin1');
  let total = 0;
  for (const line of lines) total += PREFIX_BYTES + line.length + 1;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const line of lines) {
    offset += prefix.copy(out, offset);
    offset += line.copy(out, offset);
    out[offset++] = NEWLINE;
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
