import { createServer, type Server } from 'node:net';

/**
 * A base port whose next `count` ports are all free on 127.0.0.1 right now (pools need fixed,
 * consecutive ports). The ports are released before returning, so another process could take one
 * in between: a test that fails on EADDRINUSE should be rerun, not patched.
 */
export async function findFreePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
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
