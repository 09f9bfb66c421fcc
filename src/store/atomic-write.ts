import {
  closeSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What a temp file's name adds to its target's name; leftovers carry it after a crash. */
export const TEMP_FILE_INFIX = '.tmp-';

let tempCounter = 0;

/** A fresh temp file path next to `target`, so that renaming it over `target` stays on one file system. */
export function tempPathFor(target: string): string {
  tempCounter += 1;
  return `${target}${TEMP_FILE_INFIX}${process.pid}-${tempCounter}`;
}

/** Writes `data` to a new file and flushes it to disk, with exactly `mode` whatever the umask. */
export async function writeDurableFile(path: string, data: string, mode: number): Promise<void> {
  const handle = await open(path, 'w', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Synchronous writeDurableFile, for shutdown. */
export function writeDurableFileSync(path: string, data: string, mode: number): void {
  const fd = openSync(path, 'w', mode);
  try {
    fchmodSync(fd, mode);
    const bytes = Buffer.from(data, 'utf8');
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(fd, bytes, written, bytes.length - written);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a directory's entries, so that a rename inside it survives a power cut. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Synchronous fsyncDirectory. */
export function fsyncDirectorySync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `target` with `data` so that a crash leaves either the old or the new content, never a mix. */
export function replaceFileAtomicSync(target: string, data: string, mode: number): void {
  const temp = tempPathFor(target);
  try {
    writeDurableFileSync(temp, data, mode);
    renameSync(temp, target);
  } catch (error) {
    removeQuietlySync(temp);
    throw error;
  }
  fsyncDirectorySync(dirname(target));
}

/** Deletes temp files of `target` that a crashed writer left behind; returns their paths. */
export function removeLeftoverTempFiles(target: string): string[] {
  const dir = dirname(target);
  const prefix = `${basename(target)}${TEMP_FILE_INFIX}`;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const path = join(dir, entry);
    if (removeQuietlySync(path)) removed.push(path);
  }
  return removed;
}

/** Deletes a file if it is there; whether it was deleted. */
export function removeQuietlySync(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Deletes a file if it is there. */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}
