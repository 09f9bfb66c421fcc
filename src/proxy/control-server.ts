import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describeIssues } from '../config/program-spec.js';
import {
  DaemonMessageSchema,
  MAX_CONTROL_LINE_BYTES,
  type ProxyMessage,
} from './control-protocol.js';
import { readJsonLines, writeJsonLine } from './json-lines.js';
import type { ProxyService } from './proxy-service.js';

/** Called when the proxy cannot do its job (it could not listen) and should exit 1, once the error has been sent. */
export type FatalListener = (code: string) => void;

/**
 * The proxy's control socket: a Unix socket (mode 0600) where the daemon, and after a daemon
 * restart the new daemon, sends newline-delimited JSON messages. Replies go to the connection
 * that asked; events (listening, upstream-failed, error) go to every connection.
 */
export class ControlServer {
  readonly #server: Server;
  readonly #socketPath: string;
  readonly #connections = new Set<Socket>();

  private constructor(server: Server, socketPath: string) {
    this.#server = server;
    this.#socketPath = socketPath;
  }

  /** Listens on `socketPath`, replacing a stale socket file but refusing one that a live process answers on. */
  static async start(
    socketPath: string,
    service: ProxyService,
    onFatal: FatalListener,
  ): Promise<ControlServer> {
    await claimSocketPath(socketPath);
    const server = createServer();
    const control = new ControlServer(server, socketPath);
    server.on('connection', (socket) => control.#accept(socket, service, onFatal));
    const previousUmask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previousUmask);
    }
    chmodSync(socketPath, 0o600);
    return control;
  }

  /** Sends `message` to every connected daemon (none connected: dropped). */
  broadcast(message: ProxyMessage, callback?: () => void): void {
    let pending = this.#connections.size + 1;
    const onWritten = (): void => {
      if (--pending === 0) callback?.();
    };
    for (const socket of this.#connections) writeJsonLine(socket, message, onWritten);
    onWritten();
  }

  /** Sends `message` to every connected daemon; false when none is connected. */
  sendToDaemon(message: ProxyMessage): boolean {
    if (this.#connections.size === 0) return false;
    this.broadcast(message);
    return true;
  }

  /** Stops listening, closes the connections, removes the socket file. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#connections) socket.destroy();
    await closed;
    rmSync(this.#socketPath, { force: true });
  }

  #accept(socket: Socket, service: ProxyService, onFatal: FatalListener): void {
    this.#connections.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.#connections.delete(socket));
    const reply = (message: ProxyMessage): void => writeJsonLine(socket, message);
    readJsonLines(
      socket,
      MAX_CONTROL_LINE_BYTES,
      (value) => {
        const parsed = DaemonMessageSchema.safeParse(value);
        if (!parsed.success) {
          reply({ type: 'error', code: 'EBADMSG', message: describeIssues(parsed.error) });
          return;
        }
        const message = parsed.data;
        switch (message.type) {
          case 'configure':
            service.configure(message).then(
              (address) =>
                this.broadcast({ type: 'listening', host: address.host, port: address.port }),
              (error: NodeJS.ErrnoException) => {
                const code = error.code ?? 'EIO';
                const sent = (): void => {
                  if (service.address === undefined) onFatal(code);
                };
                this.broadcast({ type: 'error', code, message: error.message }, sent);
              },
            );
            break;
          case 'upstreams':
            service.setUpstreams(message.upstreams);
            break;
          case 'tasks':
            service.setTasks(message.tasks);
            break;
          case 'task-allocated':
          case 'lease-granted':
          case 'refused':
            service.answerAllocation(message);
            break;
          case 'stats':
            reply({
              type: 'stats',
              id: message.id,
              waiting: service.waitingCount,
              unavailable: service.unavailableCount,
              instances: service.stats(),
            });
            break;
        }
      },
      (problem) => reply({ type: 'error', code: 'EBADMSG', message: problem }),
    );
  }
}

async function claimSocketPath(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return;
  }
  if (!isSocket) {
    throw Object.assign(new Error(`Expected ${socketPath} to be a socket or not to exist`), {
      code: 'EEXIST',
    });
  }
  const isAnswered = await new Promise<boolean>((resolve) => {
    const probe = connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (isAnswered) {
    throw Object.assign(new Error(`Another process already listens on ${socketPath}`), {
      code: 'EADDRINUSE',
    });
  }
  rmSync(socketPath, { force: true });
}
