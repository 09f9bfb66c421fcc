import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** Resident set size of a process in KiB (VmRSS of /proc/<pid>/status), or NaN when it is gone. */
export function readRssKib(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match?.[1] ? Number(match[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Anonymous resident memory of a process in KiB (RssAnon of /proc/<pid>/status), 0 when unknown. */
export function readAnonKib(pid: number): number {
  try {
    const match = /^RssAnon:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** One process as /proc shows it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  /** One-letter state: R, S, Z, … */
  state: string;
  /** argv joined with spaces. */
  cmdline: string;
}

/** Reads one process from /proc, or undefined when it is gone. */
export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? '?', cmdline };
  } catch {
    return undefined;
  }
}

/** Every process on the machine. */
export function listProcesses(): ProcInfo[] {
  const found: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProc(Number(entry));
    if (info) found.push(info);
  }
  return found;
}

/** Whether a pid names a live process (a zombie counts as gone). */
export function isAlive(pid: number): boolean {
  const info = readProc(pid);
  return info !== undefined && info.state !== 'Z';
}

/** Pids of processes whose argv matches, reading only /proc/<pid>/cmdline (cheap enough to poll). */
export function pidsWithArgv(isMatch: (argv: readonly string[]) => boolean): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').slice(0, -1);
      if (isMatch(argv)) found.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/**
 * Pids of this user's processes whose environment holds `name=value` (from /proc/<pid>/environ,
 * which is the environment the process started with). Finds what a temporary home's manager
 * started even when the manager never told us its pid.
 */
export function pidsWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(wanted))
        found.push(Number(entry));
    } catch {
      // ended while we looked, or not ours to read
    }
  }
  return found;
}

/** Every descendant of a process (children, grandchildren, …). */
export function descendantsOf(rootPid: number, processes = listProcesses()): ProcInfo[] {
  const byParent = new Map<number, ProcInfo[]>();
  for (const info of processes) {
    const siblings = byParent.get(info.ppid) ?? [];
    siblings.push(info);
    byParent.set(info.ppid, siblings);
  }
  const result: ProcInfo[] = [];
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of byParent.get(pid) ?? []) {
      result.push(child);
      queue.push(child.pid);
    }
  }
  return result;
}

/** Whether a TCP connect to 127.0.0.1:port succeeds. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Pause between connect attempts. Back-to-back attempts keep one of the two cores busy and slow
 * down the very process being timed; 1 ms gave steadier figures on this machine.
 */
export const PORT_PROBE_INTERVAL_MS = 1;

/** Probes 127.0.0.1:port until a connect is refused, then until one succeeds; returns when it answered. */
export async function awaitPortReopened(port: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (await canConnect(port)) {
    if (performance.now() > deadline) throw new Error(`port ${port} never closed`);
    await delay(PORT_PROBE_INTERVAL_MS);
  }
  return awaitPortOpen(port, deadline - performance.now());
}

/** Tries a connect to 127.0.0.1:port every PORT_PROBE_INTERVAL_MS until one succeeds; returns the performance.now() of that success. */
export async function awaitPortOpen(port: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (performance.now() > deadline)
      throw new Error(`port ${port} did not answer within ${timeoutMs} ms`);
    await delay(PORT_PROBE_INTERVAL_MS);
  }
  return performance.now();
}

/** A TCP port that is free on 127.0.0.1 right now. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` every `intervalMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  { intervalMs, timeoutMs }: { intervalMs: number; timeoutMs: number },
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}
