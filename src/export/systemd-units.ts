import { resolve } from 'node:path';
import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec } from '../config/program-spec.js';
import { hangWatchWarnings, isChanged, presentProbes } from './changed-settings.js';
import type { ExportResult } from './export-types.js';
import { isPool, programArgv, SHELL_PATH } from './program-command.js';
import {
  durationText,
  environmentLine,
  escapeSpecifiers,
  execLine,
  execWord,
  renderUnit,
} from './systemd-syntax.js';

/** One unit file: its name and its text. */
export interface UnitFile {
  fileName: string;
  content: string;
}

/** The search path systemd uses for a command without a `/` (not the program's PATH). */
const SYSTEMD_SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Signals after which systemd's `Restart=on-failure` would not restart, though tend's does. */
const CLEAN_SIGNALS = 'SIGHUP SIGINT SIGTERM SIGPIPE';

/** The file name of a program's unit: a template (`name@.service`) for a pool. */
export function unitFileName(spec: ProgramSpec): string {
  return isPool(spec) ? `${spec.name}@.service` : `${spec.name}.service`;
}

/** Every program as a systemd unit, and what did not translate. */
export function systemdUnits(specs: readonly ProgramSpec[]): {
  units: UnitFile[];
  warnings: string[];
} {
  const warnings: string[] = [];
  const units = specs.map((spec) => ({
    fileName: unitFileName(spec),
    content: programUnit(spec, (text) => warnings.push(`${spec.name}: ${text}`)),
  }));
  return { units, warnings };
}

/** The units as one text to print, each after a `# ---- <file name> ----` line. */
export function exportSystemd(specs: ProgramSpec[]): ExportResult {
  const { units, warnings } = systemdUnits(specs);
  const text = units.map((unit) => `# ---- ${unit.fileName} ----\n${unit.content}`).join('\n');
  return { text, warnings };
}

function programUnit(spec: ProgramSpec, warn: (text: string) => void): string {
  const pool = isPool(spec);
  const header = [`${unitFileName(spec)}: the tend program ${spec.name}, by \`tend export\`.`];
  if (pool) {
    const names = Array.from({ length: spec.instances }, (_, index) => `${spec.name}@${index}`);
    header.push(
      `A template: instance N is tend's instance N. Start them with: systemctl enable --now ${names.join(' ')}`,
    );
  }
  header.push(
    'As a system unit (/etc/systemd/system) it runs as root unless User= is added; as a user unit',
    '(~/.config/systemd/user) it runs as you, with WantedBy=default.target instead.',
  );
  return renderUnit(header, [
    [
      'Unit',
      [
        `Description=${pool ? `${spec.name} instance %i` : spec.name} (tend program)`,
        `StartLimitIntervalSec=${durationText(spec.restartWindowMs)}`,
        `StartLimitBurst=${spec.maxRestarts}`,
        ...dependencyLines(spec),
      ],
    ],
    ['Service', serviceLines(spec, warn)],
    ['Install', ['WantedBy=multi-user.target']],
  ]);
}

function serviceLines(spec: ProgramSpec, warn: (text: string) => void): string[] {
  const lines = [
    'Type=exec',
    `WorkingDirectory=${escapeSpecifiers(spec.cwd)}`,
    ...Object.entries(spec.env).map(([key, value]) => environmentLine(key, value)),
    environmentLine('TEND_NAME', spec.name),
    ...instanceLines(spec),
    `ExecStart=${execStart(spec, warn)}`,
    ...restartLines(spec),
    `KillSignal=${spec.stopSignal}`,
    `TimeoutStopSec=${durationText(spec.stopTimeoutMs)}`,
  ];
  if (spec.maxMemoryBytes !== undefined) {
    // The kernel ends the service at the limit (OOM kill) instead of tend's restart after 3 s above it.
    lines.push(`MemoryMax=${spec.maxMemoryBytes}`);
  }
  warnUntranslated(spec, warn);
  return lines;
}

/** `dependsOn` as ordering and requirement: started after, and with, each dependency's unit. */
function dependencyLines(spec: ProgramSpec): string[] {
  if (spec.dependsOn.length === 0) return [];
  const units = spec.dependsOn.map((name) => `${name}.service`).join(' ');
  return [`After=${units}`, `Requires=${units}`];
}

/** TEND_INSTANCE (and PORT for a program without a pool): a template's instance sets them at run time. */
function instanceLines(spec: ProgramSpec): string[] {
  if (isPool(spec)) return ['Environment=TEND_INSTANCE=%i'];
  const port = instancePort(spec, 0);
  return [
    environmentLine('TEND_INSTANCE', '0'),
    ...(port === null ? [] : [environmentLine('PORT', String(port))]),
  ];
}

/**
 * The shell script that starts instance `$1` of a pool with PORT = port + `$1`, then replaces
 * itself with the program (the words after `$1`): a unit cannot add numbers.
 */
export function poolPortScript(port: number): string {
  return `export PORT=$((${port} + $1)) && shift && exec "$@"`;
}

/** The command line; a pool with a port runs through poolPortScript, given the instance (`%i`). */
function execStart(spec: ProgramSpec, warn: (text: string) => void): string {
  const argv = programArgv(spec);
  const port = instancePort(spec, 0);
  if (isPool(spec) && port !== null) {
    // `%i` is written as it is: systemd replaces it with the instance.
    const [shell, flag, script, name] = [SHELL_PATH, '-c', poolPortScript(port), spec.name].map(
      execWord,
    );
    return `${shell} ${flag} ${script} ${name} %i ${execLine(argv)}`;
  }
  const [command = spec.command, ...rest] = argv;
  if (!command.includes('/')) {
    warn(
      `systemd looks \`${command}\` up in its own search path (${SYSTEMD_SEARCH_PATH}), not in the program's PATH: write its absolute path in ExecStart= if it lives elsewhere (\`command -v ${command}\`)`,
    );
    return execLine([command, ...rest]);
  }
  // A relative command (./server) is found from the working directory, as tend's spawn does.
  const absolute = resolve(spec.cwd, command);
  return execLine([absolute, ...rest]);
}

function restartLines(spec: ProgramSpec): string[] {
  const lines: string[] = [];
  if (spec.restart === 'never') return ['Restart=no'];
  lines.push(`Restart=${spec.restart}`);
  // tend counts a death by any signal as a failure; systemd counts these four as clean.
  if (spec.restart === 'on-failure') lines.push(`RestartForceExitStatus=${CLEAN_SIGNALS}`);
  lines.push(`RestartSec=${durationText(spec.backoffInitialMs)}`);
  if (spec.backoffMaxMs > spec.backoffInitialMs) {
    const steps = Math.ceil(Math.log2(spec.backoffMaxMs / spec.backoffInitialMs));
    lines.push(
      `# tend doubles the delay after each quick death, up to ${durationText(spec.backoffMaxMs)}; systemd 254 and later can too:`,
      `# RestartSteps=${steps}`,
      `# RestartMaxDelaySec=${durationText(spec.backoffMaxMs)}`,
    );
  }
  if (spec.noRestartExitCodes.length > 0) {
    const codes = spec.noRestartExitCodes.join(' ');
    lines.push(`RestartPreventExitStatus=${codes}`, `SuccessExitStatus=${codes}`);
  }
  return lines;
}

function warnUntranslated(spec: ProgramSpec, warn: (text: string) => void): void {
  for (const text of hangWatchWarnings(
    spec,
    'a program that calls sd_notify can use Type=notify and WatchdogSec=',
  )) {
    warn(text);
  }
  if (spec.dependsOn.length > 0) {
    warn(
      `dependsOn became After= and Requires= on ${spec.dependsOn.map((name) => `${name}.service`).join(', ')}: a dependency that is a pool is a template (name@.service): point these lines at its instances`,
    );
  }
  if (spec.maxMemoryBytes !== undefined) {
    warn(
      'maxMemoryBytes became MemoryMax=: the kernel kills the service at the limit, where tend restarts it after 3 checks above it',
    );
  }
  if (spec.readiness === 'tcp') {
    warn(
      'readiness tcp (starting until the port accepts a connection) does not translate: the unit is up once the process runs (a program that calls sd_notify can use Type=notify)',
    );
  }
  if (isChanged(spec, 'startTimeoutMs')) {
    warn('startTimeoutMs does not translate: TimeoutStartSec= applies only to Type=notify');
  }
  for (const role of presentProbes(spec)) {
    warn(
      `${role} does not translate: systemd runs no probes (WatchdogSec= works for a program that sends sd_notify WATCHDOG=1)`,
    );
  }
  if (spec.proxy) {
    const last = instancePort(spec, spec.max - 1);
    warn(
      `the proxy on ${spec.proxy.host}:${spec.proxy.port} does not translate: put a load balancer (nginx, HAProxy) in front of ports ${spec.port}-${last}`,
    );
  }
  if (spec.min !== spec.max) {
    warn(
      `min ${spec.min} and max ${spec.max} do not translate: start or stop instances of the template (systemctl start ${spec.name}@${spec.instances})`,
    );
  }
  if (isChanged(spec, 'minUptimeMs')) {
    warn(
      'minUptimeMs does not translate: StartLimitBurst= counts every start, and the delay is not reset after a long run',
    );
  }
  if (isChanged(spec, 'logMaxBytes') || isChanged(spec, 'logMaxFiles')) {
    warn(
      "logMaxBytes and logMaxFiles do not translate: the journal keeps the output, within journald.conf's limits (SystemMaxUse=)",
    );
  }
}
