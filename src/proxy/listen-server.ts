import cluster from 'node:cluster';
import type { Server } from 'node:net';
import { isDescriptorLimit, reportDescriptorLimit } from './open-file-limit.js';
import type { BoundAddress } from './proxy-listener.js';

/** Binds `server`, resolving with the real address (port 0 becomes the port the kernel chose). */
export function listenServer(server: Server, host: string, port: number): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    // A cluster worker shares the socket its primary bound (exclusive would bind its own).
    server.listen({ host, port, exclusive: !cluster.isWorker }, () => {
      server.off('error', onError);
      // Once bound, an error is an accept that failed (EMFILE, ENFILE): the client it was for is
      // lost, the listener goes on. Unhandled, it would end the process and every connection.
      server.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? '';
        if (isDescriptorLimit(code)) reportDescriptorLimit(code, 'accept');
        else process.stderr.write(`tend proxy: accept failed: ${code || error.message}\n`);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`Expected a TCP address, got ${String(address)}`));
        return;
      }
      resolve({ host: address.address, port: address.port });
    });
  });
}
