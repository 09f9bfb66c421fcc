import { closeSync, readdirSync, readFileSync } from 'node:fs';

/** O_CLOEXEC as /proc/<pid>/fdinfo prints it (octal flags, Linux). */
const O_CLOEXEC = 0o2000000;

/**
 * Closes every descriptor above stderr that the daemon inherited from whoever started it (they
 * lack close-on-exec; libuv opens all of its own with it), so that no managed process inherits a
 * stranger's pipe or file. Descriptors listed in `keep` are left alone.
 */
export function closeInheritedDescriptors(keep: ReadonlySet<number> = new Set()): number[] {
  const closed: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return closed;
  }
  for (const entry of entries) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd <= 2 || keep.has(fd)) continue;
    const flags = readFlags(fd);
    if (flags === undefined || (flags & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // the descriptor was the directory listing itself, already closed
    }
  }
  return closed;
}

function readFlags(fd: number): number | undefined {
  try {
    const match = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 8);
  } catch {
    return undefined;
  }
}
