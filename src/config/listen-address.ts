/** The TCP listener's address: parsing, the loopback rule, the URL. No zod here: the CLI bundle loads it. */
import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

/** Port `tend dashboard` asks for first (any free port when it is taken). */
export const DEFAULT_DASHBOARD_PORT = 7650;

/** Address the TCP listener binds unless told otherwise. */
export const DEFAULT_LISTEN_HOST = '127.0.0.1';

/** Where the daemon's TCP listener binds; `isPublic` is the explicit consent to a non-loopback address. */
export interface ListenSetting {
  host: string;
  port: number;
  isPublic: boolean;
}

/** Whether a host name or address stays on this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Parses `HOST:PORT`, `[IPv6]:PORT` or `PORT` (on 127.0.0.1), as `--listen` takes it. */
export function parseListenAddress(text: string, isPublic: boolean): ListenSetting {
  const match = /^(?:(?:\[([^\]]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65_535) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected --listen to be HOST:PORT (such as 127.0.0.1:${DEFAULT_DASHBOARD_PORT}) or a port, got ${JSON.stringify(text)}`,
    );
  }
  const host = match[1] ?? match[2] ?? DEFAULT_LISTEN_HOST;
  return checkListenSetting({ host, port, isPublic });
}

/** Refuses a non-loopback address without the explicit consent; returns the setting unchanged. */
export function checkListenSetting(setting: ListenSetting): ListenSetting {
  if (!isLoopbackHost(setting.host) && !setting.isPublic) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected a loopback address (127.0.0.1, ::1 or localhost) to listen on, got ${setting.host}: ` +
        'another address exposes the API (token-protected, but without TLS) beyond this machine; ' +
        'add --listen-public to mean it',
    );
  }
  return setting;
}

/** The URL a listener answers on (the address as a browser writes it). */
export function listenUrl(host: string, port: number): string {
  const shownHost = isIP(host) === 6 ? `[${host}]` : host;
  return `http://${shownHost}:${port}/`;
}
