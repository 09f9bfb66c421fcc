import { type CommandRunner, runCommand } from '../startup/startup-host.js';

/**
 * Takes NOTIFY_SOCKET out of the daemon's environment, so that no program it starts inherits it
 * (one that speaks sd_notify would report to tend's unit instead of its own), and returns it for
 * a daemon in the foreground; a daemon started in the background by the CLI has a starter to tell.
 */
export function takeNotifySocket(
  env: NodeJS.ProcessEnv,
  isForeground: boolean,
): string | undefined {
  const socket = env.NOTIFY_SOCKET;
  delete env.NOTIFY_SOCKET;
  return isForeground && socket ? socket : undefined;
}

/** The command that tells systemd the daemon with `pid` is ready. */
export function systemdReadyCommand(pid: number): { file: string; args: string[] } {
  return {
    file: 'systemd-notify',
    args: ['--ready', `--pid=${pid}`, '--status=tend daemon ready: its API answers'],
  };
}

/**
 * Tells systemd (Type=notify) that the daemon is ready, through the systemd-notify binary: Node
 * cannot send a datagram to a Unix socket without a native module. systemd-notify waits until
 * systemd has read the message, so that it is not lost when the sender exits first. A failure is
 * reported, never fatal: the daemon serves anyway, and systemd's start timeout says the rest.
 */
export async function notifySystemdReady(
  socket: string | undefined,
  options: { pid: number; onProblem: (problem: string) => void; run?: CommandRunner },
): Promise<void> {
  if (socket === undefined) return;
  const { file, args } = systemdReadyCommand(options.pid);
  const run = options.run ?? runCommand;
  const outcome = await run(file, args, { ...process.env, NOTIFY_SOCKET: socket });
  if (outcome.code === 0) return;
  const said = outcome.stderr.trim() || `exit code ${outcome.code}`;
  options.onProblem(
    outcome.code === null
      ? `systemd-notify could not run (${said}): systemd waits for READY in vain; \`tend startup\` writes a Type=simple unit where it is missing`
      : `systemd-notify --ready failed: ${said}`,
  );
}
