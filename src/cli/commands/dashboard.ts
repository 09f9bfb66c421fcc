import { spawn } from 'node:child_process';
import type { ApiClient } from '../../api/client.js';
import type { ListenerReply } from '../../api/wire.js';
import { homePaths } from '../../config/home.js';
import { DEFAULT_DASHBOARD_PORT, DEFAULT_LISTEN_HOST } from '../../config/listen-address.js';
import { DaemonError, TendError } from '../../errors.js';
import { readToken } from '../../store/token-file.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { writeJson } from '../output/json.js';
import { warningLine } from '../output/stderr-line.js';
import { hasFlag } from '../parse-args.js';

/** `tend dashboard`: makes sure the API listens on TCP, then prints (and opens) the dashboard's URL with the token. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const client = await ctx.client();
  const listener = await ensureListening(client);
  const token = readToken(homePaths(ctx.home).tokenFile);
  if (!listener.url || token === undefined) {
    throw new DaemonError(
      'TEND_ERR_DAEMON_LISTEN_FAILED',
      `The daemon listens on TCP but ${homePaths(ctx.home).tokenFile} holds no token; \`tend daemon stop\` and try again`,
    );
  }
  const url = dashboardUrl(listener, token);
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, { ...listener, dashboardUrl: url });
    return 0;
  }
  ctx.stdout.write(`The dashboard: ${url}\n`);
  if (listener.isPublic) {
    ctx.stderr.write(
      warningLine(
        `the API listens on ${listener.host}, beyond this machine (token-protected, no TLS)`,
      ),
    );
  }
  if (!hasFlag(args, 'no-open') && hasDesktop(ctx.env)) openInBrowser(url, ctx);
  return 0;
}

/** The listener as it is, or turned on at 127.0.0.1:7650 (any free port when that one is taken). */
async function ensureListening(client: ApiClient): Promise<ListenerReply> {
  const current = await client.getListener();
  if (current.isListening) return current;
  try {
    return await client.setListener({ host: DEFAULT_LISTEN_HOST, port: DEFAULT_DASHBOARD_PORT });
  } catch (error) {
    if (!(error instanceof TendError) || error.code !== 'TEND_ERR_DAEMON_LISTEN_FAILED')
      throw error;
    return client.setListener({ host: DEFAULT_LISTEN_HOST, port: 0 });
  }
}

/**
 * The URL with the token in its fragment: a browser never sends a fragment to the server, so the
 * token stays out of request lines and logs; the page moves it to sessionStorage and drops it
 * from the address bar. A wildcard address is shown as loopback, which a browser can open.
 */
export function dashboardUrl(listener: ListenerReply, token: string): string {
  const base = new URL(listener.url ?? '');
  if (base.hostname === '0.0.0.0') base.hostname = '127.0.0.1';
  if (base.hostname === '[::]') base.hostname = '[::1]';
  return `${base.href}#token=${token}`;
}

function hasDesktop(env: CliContext['env']): boolean {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** xdg-open, detached and without a shell; a machine without it gets a note, not an error. */
function openInBrowser(url: string, ctx: CliContext): void {
  const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
  child.once('error', () =>
    ctx.stderr.write(warningLine('could not run xdg-open: open the URL yourself')),
  );
  child.unref();
}
