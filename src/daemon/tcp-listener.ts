import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ListenerControl } from '../api/routes/listener-routes.js';
import type { ListenerReply } from '../api/wire.js';
import { isLoopbackHost, type ListenSetting, listenUrl } from '../config/listen-address.js';
import { DaemonError } from '../errors.js';
import { errnoOf } from '../process/describe-errno.js';
import { loadSettings, saveSettings } from '../store/settings-file.js';
import { readOrCreateToken } from '../store/token-file.js';

/** What the TCP listener needs: how to build the API for a token, and where the token and settings live. */
export interface TcpListenerOptions {
  createApp(token: string): FastifyInstance;
  tokenFile: string;
  settingsFile: string;
  logger: Logger;
}

const ADDRESS_PROBLEMS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use',
  EADDRNOTAVAIL: 'the address is not one of this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'no such host name',
};

/**
 * The API on a TCP port, with a token: off until asked for (`tend daemon --listen`, `tend
 * dashboard`), then bound again after every daemon restart from `$TEND_HOME/settings.json`.
 */
export class TcpListener implements ListenerControl {
  readonly #options: TcpListenerOptions;
  #app: FastifyInstance | undefined;
  #bound: ListenSetting | undefined;

  constructor(options: TcpListenerOptions) {
    this.#options = options;
  }

  status(): ListenerReply {
    const bound = this.#bound;
    if (!bound) return { isListening: false, host: null, port: null, isPublic: false, url: null };
    return {
      isListening: true,
      host: bound.host,
      port: bound.port,
      isPublic: bound.isPublic,
      url: listenUrl(bound.host, bound.port),
    };
  }

  /** Binds the address and saves it (with the real port when 0 was asked for) for the next start. */
  async listen(setting: ListenSetting): Promise<ListenerReply> {
    const reply = await this.#bind(setting);
    this.#save(this.#bound ?? null);
    return reply;
  }

  /** Binds the saved address at start-up, without saving it again. */
  async restore(setting: ListenSetting): Promise<ListenerReply> {
    return this.#bind(setting);
  }

  /** Closes the listener and saves that none is wanted. */
  async close(): Promise<ListenerReply> {
    await this.shutdown();
    this.#save(null);
    return this.status();
  }

  /** Closes the listener at daemon shutdown; the setting stays for the next start. */
  async shutdown(): Promise<void> {
    const app = this.#app;
    this.#app = undefined;
    this.#bound = undefined;
    await app?.close();
  }

  async #bind(setting: ListenSetting): Promise<ListenerReply> {
    const bound = this.#bound;
    const isSame =
      bound?.host === setting.host &&
      bound.isPublic === setting.isPublic &&
      (setting.port === 0 || bound.port === setting.port);
    if (isSame) return this.status();
    // The old listener goes first: the new address may be the same port on another host.
    await this.shutdown();
    const token = readOrCreateToken(this.#options.tokenFile);
    const app = this.#options.createApp(token);
    try {
      await app.listen({ host: setting.host, port: setting.port });
    } catch (error) {
      await app.close().catch(() => {});
      const errno = errnoOf(error) ?? '';
      const why = ADDRESS_PROBLEMS[errno] ?? (error as Error).message;
      throw new DaemonError(
        'TEND_ERR_DAEMON_LISTEN_FAILED',
        `Cannot listen on ${setting.host}:${setting.port}: ${why}`,
        { cause: error },
      );
    }
    const port = (app.server.address() as AddressInfo).port;
    this.#app = app;
    this.#bound = { ...setting, port };
    const logger = this.#options.logger;
    if (!isLoopbackHost(setting.host)) {
      logger.warn(
        { host: setting.host, port },
        'the API listens beyond this machine (token-protected, no TLS)',
      );
    }
    logger.info({ url: listenUrl(setting.host, port) }, 'API listening on TCP');
    return this.status();
  }

  #save(listen: ListenSetting | null): void {
    const { settings } = loadSettings(this.#options.settingsFile);
    saveSettings(this.#options.settingsFile, { ...settings, listen });
  }
}

/** Opens the listener saved in the settings file, if any; returns the problems met (for `GET /v1/health`). */
export async function openSavedListener(
  listener: TcpListener,
  settingsFile: string,
): Promise<string[]> {
  const { settings, problem } = loadSettings(settingsFile);
  const problems = problem === null ? [] : [problem];
  if (settings.listen === null) return problems;
  try {
    await listener.restore(settings.listen);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}
