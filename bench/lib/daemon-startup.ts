/**
 * How long a daemon took to start on its own: from its process's creation (from /proc) to the
 * moment it said it was ready (from its own files). Both as wall-clock epoch ms, so they compare.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLOCK_TICKS_PER_S } from './cpu-time.js';

/**
 * When a process was created, as epoch ms. /proc/<pid>/stat field 22 counts clock ticks (10 ms
 * here) since boot on the boot-time clock, as /proc/uptime does; boot as epoch ms is the wall
 * clock now less the uptime. So the figure is good to about one tick (±10 ms).
 */
export function processStartEpochMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const bootEpochMs = Date.now() - uptimeS * 1000;
  return bootEpochMs + (startTicks * 1000) / CLOCK_TICKS_PER_S;
}

/** When tend's daemon logged `daemon ready` (pino's `time`, epoch ms) in $TEND_HOME/daemon.log, or NaN. */
export function tendReadyEpochMs(home: string): number {
  const lines = readFileSync(join(home, 'daemon.log'), 'utf8').split('\n');
  for (const line of lines) {
    if (!line.includes('"daemon ready"')) continue;
    const entry = JSON.parse(line) as { msg?: string; time?: number };
    if (entry.msg === 'daemon ready' && typeof entry.time === 'number') return entry.time;
  }
  return Number.NaN;
}

/**
 * When PM2's God daemon was ready, as epoch ms: PM2 answers its client once both its sockets
 * (rpc.sock and pub.sock) are bound (`sendReady` in pm2/lib/Daemon.js) and logs only whole
 * seconds, so the later of the two sockets' modification times (set by bind) stands in for it.
 */
export function pm2ReadyEpochMs(home: string): number {
  return Math.max(
    statSync(join(home, 'rpc.sock')).mtimeMs,
    statSync(join(home, 'pub.sock')).mtimeMs,
  );
}
