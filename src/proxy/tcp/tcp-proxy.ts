import { createServer, type Server, type Socket } from 'node:net';
import { ConnectionTracker } from '../connection-tracker.js';
import { listenServer } from '../listen-server.js';
import type { BoundAddress, ProxyListener, SettingsSource } from '../proxy-listener.js';
import type { UpstreamRegistry } from '../upstream-registry.js';
import { TcpForward } from './tcp-forward.js';

/** The TCP proxy: balances connections, not requests; a connection that cannot be made is tried on the next instance. */
export class TcpProxy implements ProxyListener {
  readonly #source: SettingsSource;
  readonly #registry: UpstreamRegistry;
  readonly #server: Server;
  readonly #connections = new ConnectionTracker<Socket>();

  constructor(source: SettingsSource, registry: UpstreamRegistry) {
    this.#source = source;
    this.#registry = registry;
    this.#server = createServer(
      { allowHalfOpen: true, pauseOnConnect: true, noDelay: true },
      (client) => {
        this.#connections.add(client);
        client.on('close', () => this.#connections.delete(client));
        new TcpForward(client, this.#source, this.#registry).start();
      },
    );
  }

  listen(host: string, port: number): Promise<BoundAddress> {
    return listenServer(this.#server, host, port);
  }

  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#connections.drain(graceMs);
    await closed;
  }
}
