import { fileURLToPath } from 'node:url';
import { homePaths, resolveHome } from '../config/home.js';
import {
  type CliContext,
  type DaemonLauncher,
  isColorWanted,
  type OutputStream,
} from './context.js';

/** What a caller of the CLI may set; everything defaults to the current process. */
export interface CliContextOptions {
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  stdout?: OutputStream;
  stderr?: OutputStream;
  launcher?: DaemonLauncher;
  startTimeoutMs?: number;
  signal?: AbortSignal;
  isInShell?: boolean;
}

/** `node bin/tend.js daemon`: how the CLI starts a background daemon. */
export function defaultLauncher(): DaemonLauncher {
  const bin = fileURLToPath(new URL('../../../bin/tend.js', import.meta.url));
  return { file: process.execPath, args: [bin, 'daemon'] };
}

/** Builds the context commands run in. */
export function createCliContext(options: CliContextOptions = {}): CliContext {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const home = resolveHome(env as NodeJS.ProcessEnv);
  const launcher = options.launcher ?? defaultLauncher();
  const startTimeoutMs = options.startTimeoutMs;
  const signal = options.signal;
  return {
    home,
    env,
    cwd: options.cwd ?? process.cwd(),
    stdout,
    stderr: options.stderr ?? process.stderr,
    isColor: isColorWanted(stdout, env),
    signal,
    isInShell: options.isInShell ?? false,
    async client({ isAutostart = true } = {}) {
      const { ApiClient } = await import('../api/client.js');
      const startDaemon = async () => {
        const { startDaemonInBackground } = await import('./autostart.js');
        await startDaemonInBackground({
          home,
          launcher,
          env,
          ...(startTimeoutMs === undefined ? {} : { timeoutMs: startTimeoutMs }),
        });
      };
      return new ApiClient({
        socketPath: homePaths(home).socket,
        ...(isAutostart ? { onUnreachable: startDaemon } : {}),
        ...(signal ? { signal } : {}),
      });
    },
    fork(overrides) {
      return createCliContext({ ...options, ...overrides });
    },
  };
}
