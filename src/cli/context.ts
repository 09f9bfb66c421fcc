import type { ApiClient } from '../api/client.js';

/** Where a command writes: process.stdout/stderr, or a test's buffer. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The command that starts a daemon in the background. */
export interface DaemonLauncher {
  file: string;
  args: string[];
}

/** Everything a command may use; commands touch no globals, so the shell and tests can run them in-process. */
export interface CliContext {
  /** $TEND_HOME, absolute. */
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory relative paths are resolved against. */
  readonly cwd: string;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Whether stdout gets colours. */
  readonly isColor: boolean;
  /** Aborted when the user interrupts the command (Ctrl-C in `tend shell`). */
  readonly signal: AbortSignal | undefined;
  readonly isInShell: boolean;
  /** A client of this home's daemon; with `isAutostart` (the default) it starts the daemon when none answers. */
  client(options?: { isAutostart?: boolean }): Promise<ApiClient>;
  /** The same context for one command of `tend shell`, with its own interrupt signal. */
  fork(overrides: { signal?: AbortSignal; isInShell?: boolean }): CliContext;
}
