import { fstatSync, statSync, writeSync } from 'node:fs';
import type { OutputStream } from './context.js';

/**
 * Standard output or error written with writeSync on the file descriptor: creating
 * process.stdout loads the tty and net modules, a few milliseconds of a start-up budget in
 * which a CLI that prints one table needs neither. A non-blocking descriptor that is full
 * (EAGAIN) hands the rest to the Node stream; a closed pipe (`tend logs | head`) ends the
 * process quietly, as the reader wants no more.
 */
export async function createFdOutput(fd: 1 | 2): Promise<OutputStream> {
  let stream: NodeJS.WriteStream | undefined;
  const isTTY = await isTerminal(fd);
  return {
    isTTY,
    write(text: string): boolean {
      if (stream) return stream.write(text);
      let pending = Buffer.from(text);
      while (pending.length > 0) {
        try {
          pending = pending.subarray(writeSync(fd, pending));
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EPIPE') process.exit(0);
          if (code !== 'EAGAIN') throw error;
          stream = fd === 1 ? process.stdout : process.stderr;
          return stream.write(pending);
        }
      }
      return true;
    },
  };
}

/** Whether a descriptor is a terminal; the tty module is loaded only for character devices other than /dev/null. */
async function isTerminal(fd: number): Promise<boolean> {
  try {
    const stat = fstatSync(fd);
    if (!stat.isCharacterDevice() || stat.rdev === statSync('/dev/null').rdev) return false;
  } catch {
    return false;
  }
  const { isatty } = await import('node:tty');
  return isatty(fd);
}
