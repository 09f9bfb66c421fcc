import { DAEMON_NODE_FLAGS } from '../config/daemon-node-flags.js';
import {
  environmentLine,
  escapeSpecifiers,
  execLine,
  renderUnit,
} from '../export/systemd-syntax.js';

/** Where the unit is installed: the user's own systemd, or the system's (root). */
export type StartupScope = 'user' | 'system';

/** The name of the unit `tend startup` writes. */
export const STARTUP_UNIT_NAME = 'tend.service';

/** Everything the daemon's unit says, taken from the user who ran `tend startup`. */
export interface DaemonUnitInput {
  scope: StartupScope;
  /** The Node binary that runs tend now (process.execPath), not one a version manager finds later. */
  node: string;
  /** tend's bin/tend.js, absolute. */
  bin: string;
  home: string;
  /** The PATH of the user who ran `tend startup`, for the programs started at boot. */
  path: string;
  /** Whether `systemd-notify` is there, so that the unit can wait for the daemon's READY. */
  hasSystemdNotify: boolean;
  /** The account a system unit runs as, when it is not root. */
  user?: string;
}

/** The daemon's systemd unit: `tend daemon` in the foreground, restarted always, never killing the programs. */
export function renderDaemonUnit(input: DaemonUnitInput): string {
  const typeLines = input.hasSystemdNotify
    ? [
        '# `tend daemon` runs systemd-notify --ready once its API answers (Node cannot send to',
        '# NOTIFY_SOCKET itself); systemd-notify is a child of the daemon, hence NotifyAccess=all.',
        'Type=notify',
        'NotifyAccess=all',
      ]
    : ['# Type=simple: systemd-notify was not found when this unit was written.', 'Type=simple'];
  return renderUnit(
    [
      `tend's daemon for TEND_HOME=${input.home}: written by \`tend startup\`; \`tend unstartup\` removes it.`,
    ],
    [
      [
        'Unit',
        [
          `Description=tend daemon (${escapeSpecifiers(input.home)})`,
          ...(input.scope === 'system' ? ['After=network.target'] : []),
        ],
      ],
      [
        'Service',
        [
          ...typeLines,
          environmentLine('PATH', input.path),
          environmentLine('TEND_HOME', input.home),
          `WorkingDirectory=${escapeSpecifiers(input.home)}`,
          `ExecStart=${execLine([input.node, ...DAEMON_NODE_FLAGS, input.bin, 'daemon'])}`,
          '# Stopping or restarting the unit signals the daemon alone, which leaves the programs',
          '# running for the next daemon to adopt (exit 75); `tend daemon stop` stops them.',
          'KillMode=process',
          'Restart=always',
          'SuccessExitStatus=75',
          'RestartSec=1s',
          ...(input.user === undefined ? [] : [`User=${input.user}`]),
        ],
      ],
      ['Install', [`WantedBy=${input.scope === 'user' ? 'default.target' : 'multi-user.target'}`]],
    ],
  );
}
