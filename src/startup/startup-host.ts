import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { executableCandidates, executableProblem } from '../process/spawn-failure.js';
import { STARTUP_UNIT_NAME, type StartupScope } from './daemon-unit.js';

/** What running a command gave: its exit code (null when it could not run) and its output. */
export interface CommandOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell (with `env` as its environment, when given). */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  env?: Readonly<Record<string, string | undefined>>,
) => Promise<CommandOutcome>;

/** How long systemctl and loginctl may take before they count as failed. */
const COMMAND_TIMEOUT_MS = 30_000;

/** Runs a command with execFile (no shell), with a time limit. */
export const runCommand: CommandRunner = (file, args, env) =>
  new Promise((resolve) => {
    const options = { timeout: COMMAND_TIMEOUT_MS, ...(env === undefined ? {} : { env }) };
    execFile(file, [...args], options, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr: stderr || (error && code === null ? error.message : '') });
    });
  });

/** The machine as `tend startup` sees it; tests give their own, so that nothing touches the real system. */
export interface StartupHost {
  run: CommandRunner;
  /** Whether systemd is the init system (sd_booted: /run/systemd/system exists). */
  isSystemdRunning(): boolean;
  /** The absolute path of an executable found through PATH, or undefined. */
  findExecutable(name: string, searchPath: string | undefined): string | undefined;
  /** Where each scope's unit file goes. */
  unitPath(scope: StartupScope): string;
  uid: number;
  userName: string;
}

/** The real machine. */
export function realStartupHost(env: Readonly<Record<string, string | undefined>>): StartupHost {
  return {
    run: runCommand,
    isSystemdRunning: () => existsSync('/run/systemd/system'),
    findExecutable: (name, searchPath) =>
      executableCandidates(name, '/', searchPath).find(
        (path) => executableProblem(path) === undefined,
      ),
    unitPath: (scope) => startupUnitPath(scope, env),
    uid: process.getuid?.() ?? -1,
    userName: userInfo().username,
  };
}

/** `~/.config/systemd/user/tend.service` (or under $XDG_CONFIG_HOME), or `/etc/systemd/system/tend.service`. */
export function startupUnitPath(
  scope: StartupScope,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (scope === 'system') return join('/etc/systemd/system', STARTUP_UNIT_NAME);
  const configHome = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(configHome, 'systemd', 'user', STARTUP_UNIT_NAME);
}
