import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Lowest port a range starts at. */
const LOWEST_BASE = 10_000;

/**
 * The first port the kernel hands out to outgoing connections and `listen(0)`: ranges are picked
 * below it, where no client's local port or port-0 server can take them between the check and
 * the use.
 */
function firstEphemeralPort(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/);
    const port = Number(low);
    return Number.isInteger(port) && port > LOWEST_BASE + 1000 ? port : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether a server can listen on 127.0.0.1:`port` right now (it is closed again before this answers). */
function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port whose next `count` ports are all free on 127.0.0.1 right now (pools need fixed,
 * consecutive ports), for the tests and the benchmarks (bench/ imports it too). The range is below
 * the kernel's ephemeral ports, so only another caller's range can take one of its ports between
 * this check and the use. The ports are checked one at a time, so a run of a thousand (the
 * task-pairs bench) holds one file descriptor, not a thousand.
 */
export async function findFreePortRange(count: number): Promise<number> {
  const span = firstEphemeralPort() - count - LOWEST_BASE;
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = LOWEST_BASE + Math.floor(Math.random() * span);
    let isFree = true;
    for (let port = base; port < base + count && isFree; port++) isFree = await isPortFree(port);
    if (isFree) return base;
  }
  throw new Error(`No ${count} consecutive free ports found`);
}
