import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const BLOCK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * The last `count` lines of a text file (without their '\n'), oldest first, read backwards
 * from the end in blocks so that a large file costs only what is returned.
 */
export function readLastLines(path: string, count: number): string[] {
  if (count <= 0) return [];
  const fd = openSync(path, 'r');
  try {
    const blocks: Buffer[] = [];
    let position = fstatSync(fd).size;
    let newlines = 0;
    // count lines end in `count` newlines; one more marks where the first of them starts.
    while (position > 0 && newlines <= count) {
      const length = Math.min(BLOCK_BYTES, position);
      position -= length;
      const block = Buffer.allocUnsafe(length);
      const read = readFully(fd, block, position);
      blocks.push(block.subarray(0, read));
      newlines += countNewlines(block.subarray(0, read));
    }
    blocks.reverse();
    // A block boundary may split a character, but only inside the first, partial line, which is dropped.
    const lines = Buffer.concat(blocks).toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (position > 0) lines.shift();
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, buffer: Buffer, position: number): number {
  let offset = 0;
  while (offset < buffer.length) {
    const read = readSync(fd, buffer, offset, buffer.length - offset, position + offset);
    if (read === 0) break;
    offset += read;
  }
  return offset;
}

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE); at !== -1; at = bytes.indexOf(NEWLINE, at + 1)) count++;
  return count;
}
