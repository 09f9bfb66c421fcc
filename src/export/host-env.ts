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
