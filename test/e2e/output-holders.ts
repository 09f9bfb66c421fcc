import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { HOLDER_ARGV0 } from '../../src/logs/holder-process.js';
import { isProcessAlive } from '../helpers/proc.js';

/** Pids of the live output holders (`tend-output-holder infinity`) of this home; zombies do not count. */
export function outputHoldersOf(home: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith(`${HOLDER_ARGV0}\0`)) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`TEND_HOME=${home}`) && isProcessAlive(Number(entry))) {
        found.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Whether process `pid` has `path` open. */
export function holdsPath(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}
