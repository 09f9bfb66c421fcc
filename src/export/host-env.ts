import type { ProgramSpec } from '../config/program-spec.js';

/** Variables that describe this machine's login session, not the program: wrong inside a container. */
const SESSION_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'PWD',
  'OLDPWD',
  'SHLVL',
  '_',
  'TERM',
  'COLORTERM',
  'HOSTNAME',
  'MAIL',
  'LS_COLORS',
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'TMUX',
  'TMUX_PANE',
  'TEND_HOME',
]);
const SESSION_PREFIXES = ['SSH_', 'XDG_', 'DBUS_'];

/** Whether a variable describes the login session it was captured from (PATH, HOME, SSH_…). */
export function isSessionVariable(name: string): boolean {
  return SESSION_NAMES.has(name) || SESSION_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/**
 * A program's environment for a container: `tend start` captures the whole environment of the
 * shell it ran in, and a container image has its own PATH and HOME, so those are left out.
 */
export function containerEnv(env: Readonly<Record<string, string>>): {
  kept: Record<string, string>;
  dropped: string[];
} {
  const kept: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (isSessionVariable(name)) dropped.push(name);
    else kept[name] = value;
  }
  return { kept, dropped };
}

/**
 * The program as the user declared it: `env` without the variables `tend start` copied from its
 * shell (`shellEnvNames`), and the names it left out. With `isWithShellEnv`, the env stays whole.
 */
export function declaredSpec(
  spec: ProgramSpec,
  isWithShellEnv: boolean,
): { spec: ProgramSpec; leftOut: string[] } {
  const { shellEnvNames = [], ...rest } = spec;
  if (isWithShellEnv) return { spec: rest, leftOut: [] };
  const shell = new Set(shellEnvNames);
  const env = Object.fromEntries(Object.entries(spec.env).filter(([name]) => !shell.has(name)));
  const leftOut = Object.keys(spec.env).filter((name) => shell.has(name));
  return { spec: { ...rest, env }, leftOut };
}
