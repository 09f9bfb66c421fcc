/** Longest line stored as one line; a longer one is split into several, never cut short. */
export const MAX_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

/**
 * Turns a byte stream into lines ('\n' ends a line and is not kept), keeping a partial
 * line across chunks. Works on bytes, and '\n' never occurs inside a UTF-8 sequence, so
 * decoding each returned line on its own never breaks a character. The returned buffers
 * may be views of the chunk: use them before the chunk's memory is reused.
 */
export class LineSplitter {
  readonly #maxLineBytes: number;
  #pending: Buffer | undefined;

  constructor(maxLineBytes = MAX_LINE_BYTES) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 4) {
      throw new RangeError(`Expected maxLineBytes to be an integer ≥ 4, got ${maxLineBytes}`);
    }
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes of an unfinished line held back for the next chunk. */
  get pendingBytes(): number {
    return this.#pending?.length ?? 0;
  }

  /** The unfinished line held back, if any (a view: copy it to keep it). */
  get pending(): Buffer | undefined {
    return this.#pending;
  }

  /** Adds a chunk; returns the lines it completed. */
  push(chunk: Buffer): Buffer[] {
    const data = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
      this.#collect(lines, data.subarray(start, end));
      start = end + 1;
    }
    let rest = data.subarray(start);
    // Only more than the cap proves the line is too long: exactly the cap may still end in '\n'.
    while (rest.length > this.#maxLineBytes) {
      const cut = charBoundaryAtOrBefore(rest, this.#maxLineBytes);
      lines.push(rest.subarray(0, cut));
      rest = rest.subarray(cut);
    }
    if (rest.length > 0) this.#pending = Buffer.from(rest);
    return lines;
  }

  /**
   * Adds a chunk; returns the lines it completed as one block, each line followed by '\n'
   * (undefined when it completed none). The same lines as `push`, without an object per line:
   * a flood of short lines is split and stored at the cost of a few scans per chunk.
   */
  pushBlock(chunk: Buffer): Buffer | undefined {
    const data = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    if (!this.#hasLineOverCap(data)) {
      this.#pending = undefined;
      const last = data.lastIndexOf(NEWLINE);
      if (last + 1 < data.length) this.#pending = Buffer.from(data.subarray(last + 1));
      return last === -1 ? undefined : data.subarray(0, last + 1);
    }
    // A line longer than the cap is cut into several: rare, so done line by line.
    this.#pending = undefined;
    const lines = this.push(data);
    return lines.length === 0 ? undefined : joinLines(lines);
  }

  /** Ends the stream as a block: a partial last line becomes a line, followed by '\n'. */
  endBlock(): Buffer | undefined {
    const lines = this.end();
    return lines.length === 0 ? undefined : joinLines(lines);
  }

  /** Ends the stream: a partial last line becomes a line. */
  end(): Buffer[] {
    const pending = this.#pending;
    this.#pending = undefined;
    return pending ? [pending] : [];
  }

  /** Whether some line of `data` (the unfinished last one included) is longer than the cap; a few scans, never one per line. */
  #hasLineOverCap(data: Buffer): boolean {
    let start = 0;
    while (data.length - start > this.#maxLineBytes) {
      const newline = data.lastIndexOf(NEWLINE, start + this.#maxLineBytes);
      if (newline < start) return true;
      start = newline + 1;
    }
    return false;
  }

  #collect(lines: Buffer[], line: Buffer): void {
    let rest = line;
    while (rest.length > this.#maxLineBytes) {
      const cut = charBoundaryAtOrBefore(rest, this.#maxLineBytes);
      lines.push(rest.subarray(0, cut));
      rest = rest.subarray(cut);
    }
    lines.push(rest);
  }
}

/** Lines as one block, each followed by '\n'. */
function joinLines(lines: readonly Buffer[]): Buffer {
  const newline = Buffer.of(NEWLINE);
  return Buffer.concat(lines.flatMap((line) => [line, newline]));
}

/** The largest offset ≤ limit that does not fall inside a UTF-8 sequence (limit itself for bytes that are not UTF-8). */
function charBoundaryAtOrBefore(bytes: Buffer, limit: number): number {
  for (let cut = limit; cut > limit - 4 && cut > 0; cut--) {
    if (!isContinuationByte(bytes[cut])) return cut;
  }
  return limit;
}

function isContinuationByte(byte: number | undefined): boolean {
  return byte !== undefined && (byte & 0xc0) === 0x80;
}
