import { homePaths, resolveHome } from '../config/home.js';
import type { CliContext, DaemonLauncher, OutputStream } from './context.js';

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

/** Builds the context commands run in. */
export function createCliContext(options: CliContextOptions = {}): CliContext {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const home = resolveHome(env as NodeJS.ProcessEnv);
  const startTimeoutMs = options.startTimeoutMs;
  const signal = options.signal;
  return {
    home,
    env,
    cwd: options.cwd ?? process.cwd(),
    stdout,
    stderr: options.stderr ?? process.stderr,
    get isColor() {
      return isColorWanted(stdout, env);
    },
    signal,
    isInShell: options.isInShell ?? false,
    async client({ isAutostart = true } = {}) {
      const { ApiClient } = await import('../api/client.js');
      const startDaemon = async () => {
        const { defaultLauncher, startDaemonInBackground } = await import('./autostart.js');
        await startDaemonInBackground({
          home,
          launcher: options.launcher ?? defaultLauncher(),
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

/** Whether output to a stream gets colours: a TTY, and NO_COLOR unset or empty (FORCE_COLOR forces them). */
export function isColorWanted(
  stream: OutputStream,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}
