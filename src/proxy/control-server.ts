import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describeIssues } from '../config/program-spec.js';
import {
  type DaemonMessage,
  DaemonMessageSchema,
  MAX_CONTROL_LINE_BYTES,
  type ProxyMessage,
} from './control-protocol.js';
import { readJsonLines, writeJsonLine } from './json-lines.js';

/** Takes each checked daemon message; `reply` answers the connection it came on. */
export type DaemonMessageListener = (
  message: DaemonMessage,
  reply: (message: ProxyMessage) => void,
) => void;

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
  static async start(socketPath: string, onMessage: DaemonMessageListener): Promise<ControlServer> {
    await claimSocketPath(socketPath);
    const server = createServer();
    const control = new ControlServer(server, socketPath);
    server.on('connection', (socket) => control.#accept(socket, onMessage));
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

  /** Whether a daemon is connected. */
  get isConnected(): boolean {
    return this.#connections.size > 0;
  }

  /** Stops listening, closes the connections, removes the socket file. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#connections) socket.destroy();
    await closed;
    rmSync(this.#socketPath, { force: true });
  }

  #accept(socket: Socket, onMessage: DaemonMessageListener): void {
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
        onMessage(parsed.data, reply);
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
