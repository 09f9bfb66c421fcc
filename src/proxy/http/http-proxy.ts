import { createServer, type Server } from 'node:net';
import { ConnectionTracker } from '../connection-tracker.js';
import { listenServer } from '../listen-server.js';
import type { BoundAddress, ProxyListener, SettingsSource } from '../proxy-listener.js';
import type { ClientTimeouts, ProxySettings } from '../proxy-options.js';
import type { TaskRouter } from '../tasks/task-router.js';
import type { UpstreamRegistry } from '../upstream-registry.js';
import { ClientConnection } from './client-connection.js';
import type { HttpProxyContext } from './http-context.js';

/** The HTTP/1.1 reverse proxy: per-request balancing, failover, keep-alive on both sides, WebSocket pass-through. */
export class HttpProxy implements ProxyListener, HttpProxyContext {
  readonly registry: UpstreamRegistry;
  readonly #source: SettingsSource;
  readonly #server: Server;
  readonly #connections = new ConnectionTracker<ClientConnection>();
  readonly #tasks: TaskRouter;
  readonly clientTimeouts: ClientTimeouts;
  #isDraining = false;

  constructor(
    source: SettingsSource,
    registry: UpstreamRegistry,
    tasks: TaskRouter,
    clientTimeouts: ClientTimeouts,
  ) {
    this.#source = source;
    this.registry = registry;
    this.#tasks = tasks;
    this.clientTimeouts = clientTimeouts;
    this.#server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
      this.#connections.add(new ClientConnection(socket, this, this.#onConnectionGone));
    });
  }

  get settings(): ProxySettings {
    return this.#source.settings;
  }

  get tasks(): TaskRouter | undefined {
    return this.#source.settings.tasks === null ? undefined : this.#tasks;
  }

  get isDraining(): boolean {
    return this.#isDraining;
  }

  listen(host: string, port: number): Promise<BoundAddress> {
    return listenServer(this.#server, host, port);
  }

  async close(graceMs: number): Promise<void> {
    this.#isDraining = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#connections.forEach((connection) => {
      if (connection.isIdle) connection.endGracefully();
    });
    await this.#connections.drain(graceMs);
    await closed;
  }

  #onConnectionGone = (connection: ClientConnection): void => {
    this.#connections.delete(connection);
  };
}
