import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderDaemonUnit, STARTUP_UNIT_NAME, type StartupScope } from './daemon-unit.js';
import type { StartupHost } from './startup-host.js';

/** What `tend startup` will write, and where. */
export interface StartupPlan {
  scope: StartupScope;
  path: string;
  unit: string;
  type: 'notify' | 'simple';
}

/** What the plan is made from: the user who ran `tend startup`. */
export interface StartupRequest {
  /** --user or --system; left out: system for root, user for anyone else. */
  scope: StartupScope | undefined;
  home: string;
  env: Readonly<Record<string, string | undefined>>;
  /** How to run this tend: process.execPath and bin/tend.js. */
  tend: { node: string; bin: string };
}

/** The unit for this user, and where it goes. */
export function planStartup(request: StartupRequest, host: StartupHost): StartupPlan {
  const scope = request.scope ?? (host.uid === 0 ? 'system' : 'user');
  const path = request.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const hasSystemdNotify = host.findExecutable('systemd-notify', path) !== undefined;
  const unit = renderDaemonUnit({
    scope,
    node: request.tend.node,
    bin: request.tend.bin,
    home: request.home,
    path,
    hasSystemdNotify,
    ...(scope === 'system' && host.uid !== 0 ? { user: host.userName } : {}),
  });
  return { scope, path: host.unitPath(scope), unit, type: hasSystemdNotify ? 'notify' : 'simple' };
}

/** What installing did, or why it could not. */
export type InstallOutcome =
  | { ok: true; isStartedNow: boolean; lingerProblem: string | undefined }
  | { ok: false; problem: string };

/** `systemctl` or `systemctl --user`. */
function systemctlArgs(scope: StartupScope, ...args: string[]): string[] {
  return scope === 'user' ? ['--user', ...args] : args;
}

/**
 * Writes the unit, reloads systemd and enables it; starts it now only when no daemon runs for
 * this home (a second daemon would find the home taken and fail). A failure leaves the unit file
 * as it was before.
 */
export async function installStartup(
  plan: StartupPlan,
  host: StartupHost,
  isDaemonRunning: boolean,
): Promise<InstallOutcome> {
  if (!host.isSystemdRunning()) {
    return {
      ok: false,
      problem: 'systemd is not running on this machine (no /run/systemd/system)',
    };
  }
  const previous = readIfThere(plan.path);
  try {
    mkdirSync(dirname(plan.path), { recursive: true });
    writeFileSync(plan.path, plan.unit, { mode: 0o644 });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EACCES' ? ' (as root?)' : '';
    return {
      ok: false,
      problem: `cannot write ${plan.path}${reason}: ${(error as Error).message}`,
    };
  }
  const enable = isDaemonRunning ? ['enable'] : ['enable', '--now'];
  for (const args of [['daemon-reload'], [...enable, STARTUP_UNIT_NAME]]) {
    const outcome = await host.run('systemctl', systemctlArgs(plan.scope, ...args));
    if (outcome.code !== 0) {
      restore(plan.path, previous);
      // systemd may have read the new file already: let it read the old one again.
      await host.run('systemctl', systemctlArgs(plan.scope, 'daemon-reload'));
      const said = outcome.stderr.trim() || `exit code ${outcome.code}`;
      return {
        ok: false,
        problem: `systemctl ${systemctlArgs(plan.scope, ...args).join(' ')} failed: ${said}`,
      };
    }
  }
  let lingerProblem: string | undefined;
  if (plan.scope === 'user') {
    // Without lingering, a user's systemd starts at login and stops at logout, not at boot.
    const outcome = await host.run('loginctl', ['enable-linger', host.userName]);
    if (outcome.code !== 0) lingerProblem = outcome.stderr.trim() || `exit code ${outcome.code}`;
  }
  return { ok: true, isStartedNow: !isDaemonRunning, lingerProblem };
}

/** What removing did. */
export type RemoveOutcome = { ok: true; wasInstalled: boolean } | { ok: false; problem: string };

/** Disables the unit (the daemon that runs goes on) and removes its file. */
export async function removeStartup(
  scope: StartupScope,
  host: StartupHost,
): Promise<RemoveOutcome> {
  const path = host.unitPath(scope);
  if (readIfThere(path) === undefined) return { ok: true, wasInstalled: false };
  const hasSystemd = host.isSystemdRunning();
  if (hasSystemd) {
    const outcome = await host.run('systemctl', systemctlArgs(scope, 'disable', STARTUP_UNIT_NAME));
    if (outcome.code !== 0) {
      const said = outcome.stderr.trim() || `exit code ${outcome.code}`;
      return {
        ok: false,
        problem: `systemctl ${systemctlArgs(scope, 'disable', STARTUP_UNIT_NAME).join(' ')} failed: ${said}`,
      };
    }
  }
  try {
    rmSync(path);
  } catch (error) {
    return { ok: false, problem: `cannot remove ${path}: ${(error as Error).message}` };
  }
  if (hasSystemd) await host.run('systemctl', systemctlArgs(scope, 'daemon-reload'));
  return { ok: true, wasInstalled: true };
}

/** The commands that install the unit by hand, for when `tend startup` cannot. */
export function manualSteps(plan: StartupPlan, userName: string): string[] {
  const systemctl = plan.scope === 'user' ? 'systemctl --user' : 'systemctl';
  return [
    `Save the unit above as ${plan.path}${plan.scope === 'system' ? ' (as root)' : ''}, then run:`,
    `  ${systemctl} daemon-reload`,
    `  ${systemctl} enable --now ${STARTUP_UNIT_NAME}`,
    ...(plan.scope === 'user'
      ? [`  loginctl enable-linger ${userName}   # so that it starts at boot, not at login`]
      : []),
  ];
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function restore(path: string, previous: string | undefined): void {
  try {
    if (previous === undefined) rmSync(path, { force: true });
    else writeFileSync(path, previous);
  } catch {
    // the failure already reported says enough
  }
}
