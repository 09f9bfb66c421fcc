import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describeIssues } from '../config/program-spec.js';
import {
  CONTROL_PROTOCOL_VERSION,
  DAEMON_MESSAGE_TYPES,
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
 * restart the new daemon, sends newline-delimited JSON messages. Each connection starts with the
 * proxy's `hello` (its protocol version). Replies go to the connection that asked; events
 * (listening, upstream-failed, error) go to every connection.
 */
export class ControlServer {
  readonly #server: Server;
  readonly #socketPath: string;
  readonly #connections = new Set<Socket>();
  readonly #log: (line: string) => void;
  /** Message types from a newer daemon already logged: each is logged once, not once per message. */
  readonly #unknownTypes = new Set<string>();

  private constructor(server: Server, socketPath: string, log: (line: string) => void) {
    this.#server = server;
    this.#socketPath = socketPath;
    this.#log = log;
  }

  /**
   * Listens on `socketPath`, replacing a stale socket file but refusing one that a live process
   * answers on; `log` writes a line to the proxy's log.
   */
  static async start(
    socketPath: string,
    onMessage: DaemonMessageListener,
    log: (line: string) => void,
  ): Promise<ControlServer> {
    await claimSocketPath(socketPath);
    const server = createServer();
    const control = new ControlServer(server, socketPath, log);
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
    reply({ type: 'hello', protocol: CONTROL_PROTOCOL_VERSION });
    readJsonLines(
      socket,
      MAX_CONTROL_LINE_BYTES,
      (value) => {
        if (this.#isUnknownType(value)) return;
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

  /**
   * A message of a type this proxy does not know comes from a newer daemon: it is ignored, not
   * answered with an error (which a daemon waiting on `configure` would take as its answer).
   */
  #isUnknownType(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !('type' in value)) return false;
    const { type } = value;
    if (typeof type !== 'string' || DAEMON_MESSAGE_TYPES.has(type)) return false;
    if (!this.#unknownTypes.has(type)) {
      this.#unknownTypes.add(type);
      this.#log(
        `tend proxy: ignoring control messages of type ${JSON.stringify(type.slice(0, 64))}, unknown to this proxy (control protocol ${CONTROL_PROTOCOL_VERSION}): the daemon is newer; \`tend restart <pool> --proxy\` replaces this proxy with one that runs its code`,
      );
    }
    return true;
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
