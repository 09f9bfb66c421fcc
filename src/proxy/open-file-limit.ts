import { execFileSync } from 'node:child_process';
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';

/** A process's RLIMIT_NOFILE: how many files it may have open. */
export interface OpenFileLimit {
  soft: number;
  hard: number;
}

/** The open-file limit of this process, from /proc/self/limits (undefined where there is none). */
export function readOpenFileLimit(): OpenFileLimit | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (match === null) return undefined;
  const parse = (value: string | undefined): number =>
    value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value);
  return { soft: parse(match[1]), hard: parse(match[2]) };
}

/** Sets this process's soft open-file limit with util-linux's prlimit (no native module needed). */
function runPrlimit(soft: number, hard: number): void {
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${soft}:${hard}`], {
    stdio: 'ignore',
  });
}

/** The limit as last read, for the log line: once out of files, /proc/self/limits cannot be opened. */
let knownLimit: OpenFileLimit | undefined;

/**
 * Raises the soft open-file limit to the hard one, and says what it could not do. Node itself
 * raises it at start-up (node.cc, PlatformInit), so this acts only where that did not happen;
 * `read` and `raise` are injectable for tests. Returns the limit in force afterwards, and
 * remembers it for reportDescriptorLimit.
 */
export function raiseOpenFileLimit(
  log: (line: string) => void,
  read: () => OpenFileLimit | undefined = readOpenFileLimit,
  raise: (soft: number, hard: number) => void = runPrlimit,
): OpenFileLimit | undefined {
  const limit = read();
  knownLimit = limit;
  if (limit === undefined || limit.soft >= limit.hard || !Number.isFinite(limit.hard)) return limit;
  try {
    raise(limit.hard, limit.hard);
  } catch (error) {
    log(
      `tend proxy: could not raise the open-file limit from ${limit.soft} to ${limit.hard} with prlimit (${(error as Error).message}); the proxy holds about ${Math.floor(limit.soft / 2)} connections per worker`,
    );
    return limit;
  }
  knownLimit = read();
  return knownLimit;
}

/** Whether an errno code means a descriptor limit was reached (this process's or the system's). */
export function isDescriptorLimit(code: string): boolean {
  return code === 'EMFILE' || code === 'ENFILE';
}

const reported = new Set<string>();

/**
 * Logs, once per process and limit, that a descriptor limit stopped a connection (`where`:
 * accept or connect): which limit, and how to raise it. Later hits are not logged again, so
 * a flood of refused connections does not flood the log.
 */
export function reportDescriptorLimit(code: string, where: 'accept' | 'connect'): void {
  if (reported.has(code)) return;
  reported.add(code);
  process.stderr.write(`${describeDescriptorLimit(code, where, knownLimit)}\n`);
}

/** The log line for a descriptor limit hit on `where`. */
export function describeDescriptorLimit(
  code: string,
  where: 'accept' | 'connect',
  limit: OpenFileLimit | undefined,
): string {
  const who = cluster.isWorker ? `tend proxy (worker pid ${process.pid})` : 'tend proxy';
  if (code === 'ENFILE') {
    return `${who}: ENFILE on ${where}: the whole system is out of open files (fs.file-max); new connections are refused until files are closed. Raise it with \`sysctl -w fs.file-max=<n>\` (and in /etc/sysctl.d/ to keep it). Logged once.`;
  }
  const soft = limit === undefined ? 'its' : String(limit.soft);
  const hard = limit === undefined ? 'unknown' : String(limit.hard);
  return `${who}: EMFILE on ${where}: this process reached its open-file limit (RLIMIT_NOFILE ${soft}, hard limit ${hard}); each proxied connection holds two files, so new connections are refused until some close. Raise the hard limit of the daemon that starts the proxy (LimitNOFILE= in its systemd unit, or \`ulimit -Hn <n>\` as root before \`tend daemon start\`; the proxy raises its soft limit to the hard one), or run more proxy workers (\`--proxy-workers\`, proxy.workers), each with a limit of its own. Logged once.`;
}
