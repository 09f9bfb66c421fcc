import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';

/** Lowest port a test range starts at. */
const LOWEST_BASE = 10_000;

/**
 * The first port the kernel hands out to outgoing connections and `listen(0)`: ranges are picked
 * below it, where no client's local port or port-0 server can take them between the check and
 * the test's use.
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

/**
 * A base port whose next `count` ports are all free on 127.0.0.1 right now (pools need fixed,
 * consecutive ports). The ports are released before returning, so another process could take one
 * in between; the range is below the kernel's ephemeral ports, so only another test's range can.
 */
export async function findFreePortRange(count: number): Promise<number> {
  const span = firstEphemeralPort() - count - LOWEST_BASE;
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = LOWEST_BASE + Math.floor(Math.random() * span);
    const servers: Server[] = [];
    let isFree = true;
    for (let port = base; port < base + count && isFree; port++) {
      const server = createServer();
      isFree = await new Promise<boolean>((resolve) => {
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (isFree) servers.push(server);
    }
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    if (isFree) return base;
  }
  throw new Error(`No ${count} consecutive free ports found`);
}
