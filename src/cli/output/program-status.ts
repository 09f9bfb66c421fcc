import type { InstanceDetail, ProgramDetail, ProxyDetail } from '../../api/wire.js';
import { formatDuration, formatElapsed } from '../../config/human-units.js';
import {
  formatBytes,
  formatCpu,
  formatExit,
  formatLatency,
  formatTime,
  orDash,
  plural,
} from './format.js';
import { colorOfDisplay } from './instance-table.js';
import { colorOfState, type Palette } from './palette.js';
import { formatFields, formatTable } from './table.js';
import { formatTaskTable } from './task-table.js';

/** How many exits `tend status` lists per instance (`--json` has them all). */
export const STATUS_EXIT_ROWS = 10;

/** `tend status` for one program: its definition, then each instance with its health statistics and recent exits. */
export function formatProgramStatus(
  program: ProgramDetail,
  palette: Palette,
  now: number = Date.now(),
): string {
  const { spec } = program;
  const running = program.instances.filter((instance) => instance.pid !== null).length;
  const head = `${palette.bold(program.name)}  ${program.desired === 'running' ? palette.green('wanted running') : palette.gray('wanted stopped')}, ${running} of ${plural(program.instances.length, 'instance')} running`;
  const restart =
    spec.noRestartExitCodes.length > 0
      ? `${spec.restart}; exit codes ${spec.noRestartExitCodes.join(', ')} mean done`
      : spec.restart;
  const bounds = spec.min === spec.max ? '' : ` (min ${spec.min}, max ${spec.max})`;
  const fields: Array<[string, string]> = [
    ['command', formatCommand(spec.command, spec.args, spec.shell)],
    ['cwd', spec.cwd],
    ['instances', `${spec.instances}${bounds}`],
    ['restart', restart],
    ['stop', `${spec.stopSignal}, then SIGKILL after ${formatDuration(spec.stopTimeoutMs)}`],
    ['min uptime', formatDuration(spec.minUptimeMs)],
    [
      'crash loop',
      `errored after ${spec.maxRestarts} restarts in ${formatDuration(spec.restartWindowMs)}; backoff ${formatDuration(spec.backoffInitialMs)} to ${formatDuration(spec.backoffMaxMs)}`,
    ],
  ];
  if (spec.port !== undefined) fields.push(['port', `${spec.port} + instance (PORT)`]);
  if (spec.readiness === 'notify') fields.push(['ready', 'when it sends READY=1']);
  const hang = describeHangSettings(spec);
  if (hang !== undefined) fields.push(['hung when', hang]);
  if (spec.dependsOn.length > 0) fields.push(['after', spec.dependsOn.join(', ')]);
  if (program.waiting) {
    const { reason, isStuck } = program.waiting;
    fields.push(['waiting', isStuck ? palette.red(reason) : palette.yellow(reason)]);
  }
  const tasks = describeTasks(program);
  if (tasks !== undefined) fields.push(['tasks', tasks]);
  let definition = `${head}\n${formatFields(fields, { indent: 2, styleLabel: palette.dim })}`;
  if (program.tasks !== undefined && program.tasks.length > 0)
    definition += formatTaskTable(program.tasks, palette, { indent: 4 });
  if (program.proxy) definition += formatProxy(program.name, program.proxy, palette);
  const sections = [definition];
  for (const instance of program.instances)
    sections.push(formatInstanceStatus(instance, palette, now));
  return `${sections.join('\n')}`;
}

/** The heartbeat, memory and silence limits of a program in one line, or undefined with none. */
function describeHangSettings(spec: ProgramDetail['spec']): string | undefined {
  const parts: string[] = [];
  if (spec.watchdogMs !== undefined) {
    parts.push(`no heartbeat for ${formatDuration(spec.watchdogMs)}`);
  }
  if (spec.silenceTimeoutMs !== undefined) {
    parts.push(`no output for ${formatDuration(spec.silenceTimeoutMs)}`);
  }
  if (spec.maxMemoryBytes !== undefined) {
    parts.push(`memory above ${formatBytes(spec.maxMemoryBytes)} (restarted)`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** A task program's settings and how many tasks live, in one line; undefined for other programs. */
function describeTasks(program: ProgramDetail): string | undefined {
  const settings = program.spec.tasks;
  if (!settings) return undefined;
  const ending =
    settings.endWhen === 'grace'
      ? `owner gone for ${formatDuration(settings.graceMs)}`
      : settings.endWhen === 'owner-leaves'
        ? 'owner leaves'
        : 'closed or exited only';
  return `${program.tasks?.length ?? 0} live; ready buffer ${settings.readyBuffer}; a task ends when: ${ending}`;
}

function formatProxy(name: string, proxy: ProxyDetail, palette: Palette): string {
  const state = colorOfState(palette, proxy.status)(proxy.status);
  const summary = `${proxy.mode} on ${proxy.host}:${proxy.port}, ${proxy.balance}; ${state}${proxy.pid === null ? '' : `, pid ${proxy.pid}`}`;
  const fields: Array<[string, string]> = [['proxy', summary]];
  if (proxy.problem !== null) fields.push(['problem', palette.red(proxy.problem)]);
  if (proxy.outdatedProtocol !== null) {
    fields.push([
      'proxy code',
      palette.yellow(
        `older than the daemon's (control protocol ${proxy.outdatedProtocol}), left running by a previous daemon; \`tend restart ${name} --proxy\` replaces it (its port refuses connections for a moment)`,
      ),
    ]);
  }
  const table = formatTable(
    [
      { header: 'INSTANCE', align: 'right' },
      { header: 'STATE' },
      { header: 'REQUESTS', align: 'right' },
      { header: 'RETRIES', align: 'right' },
      { header: 'FAILURES', align: 'right' },
      { header: 'P50', align: 'right' },
      { header: 'P90', align: 'right' },
      { header: 'P99', align: 'right' },
    ],
    proxy.instances.map((counters) => [
      String(counters.instance),
      counters.isSuspended
        ? palette.red('suspended')
        : counters.isReady
          ? palette.green('ready')
          : palette.yellow('not ready'),
      String(counters.requests),
      String(counters.retries),
      String(counters.failures),
      orDash(counters.latencyMs.p50, formatLatency),
      orDash(counters.latencyMs.p90, formatLatency),
      orDash(counters.latencyMs.p99, formatLatency),
    ]),
    { indent: 4, styleHeader: palette.dim },
  );
  return `${formatFields(fields, { indent: 2, styleLabel: palette.dim })}${proxy.instances.length > 0 ? table : ''}`;
}

function formatInstanceStatus(instance: InstanceDetail, palette: Palette, now: number): string {
  const state = colorOfDisplay(palette, instance);
  const title = [
    palette.bold(`${instance.name}[${instance.instance}]`),
    state,
    instance.pid === null ? undefined : `pid ${instance.pid}`,
    instance.port === null ? undefined : `port ${instance.port}`,
  ]
    .filter((part) => part !== undefined)
    .join('  ');
  const fields: Array<[string, string]> = [];
  if (instance.upForMs !== null) fields.push(['up for', formatElapsed(instance.upForMs)]);
  else if (instance.downForMs !== null)
    fields.push(['down for', formatElapsed(instance.downForMs)]);
  else fields.push(['up for', 'never started']);
  if (instance.cpu !== null || instance.memoryBytes !== null) {
    fields.push([
      'cpu / memory',
      `${orDash(instance.cpu, formatCpu)} / ${orDash(instance.memoryBytes, formatBytes)}`,
    ]);
  }
  if (instance.statusText !== null) fields.push(['status', instance.statusText]);
  fields.push(['restarts', `${instance.restarts} (${instance.failureRestarts} after a failure)`]);
  fields.push([
    'runs',
    instance.averageRunMs === null
      ? String(instance.runs)
      : `${instance.runs}, ${formatElapsed(instance.averageRunMs)} on average`,
  ]);
  if (instance.nextRestartAt !== null) {
    const inMs = Date.parse(instance.nextRestartAt) - now;
    fields.push([
      'next restart',
      `in ${formatElapsed(inMs)} (${formatTime(instance.nextRestartAt)})`,
    ]);
  }
  if (instance.reason !== null) {
    const style = instance.status === 'errored' ? palette.red : (text: string) => text;
    fields.push(['reason', style(instance.reason)]);
  }
  if (instance.isFrozen) {
    fields.push([
      'frozen',
      palette.yellow('the kernel reports the process stopped (state T, as after SIGSTOP)'),
    ]);
  }
  if (instance.notReady !== null) fields.push(['not ready', palette.yellow(instance.notReady)]);
  if (instance.lastProbeFailure !== null) {
    const failure = instance.lastProbeFailure;
    fields.push([
      'last probe failure',
      `${failure.probe}: ${failure.reason} (${formatTime(failure.at)})`,
    ]);
  }
  fields.push(['state since', formatTime(instance.stateSince)]);
  let text = `  ${title}\n${formatFields(fields, { indent: 4, styleLabel: palette.dim })}`;
  if (instance.exits.length > 0) {
    const shown = instance.exits.slice(-STATUS_EXIT_ROWS);
    const caption =
      shown.length < instance.exits.length
        ? `last ${shown.length} of ${instance.exits.length} exits`
        : plural(shown.length, 'exit');
    const table = formatTable(
      [
        { header: 'TIME' },
        { header: 'EXIT' },
        { header: 'RAN FOR', align: 'right' },
        { header: '' },
      ],
      shown.map((exit) => [
        formatTime(exit.at),
        formatExit(exit.code, exit.signal),
        formatElapsed(exit.uptimeMs),
        exitVerdict(exit, palette),
      ]),
      { indent: 6, styleHeader: palette.dim },
    );
    text += `    ${palette.dim(caption)}:\n${table}`;
  }
  return text;
}

/** A command line as a user would type it: arguments with spaces or quotes are single-quoted. */
export function formatCommand(command: string, args: readonly string[], isShell: boolean): string {
  const line = [command, ...args]
    .map((word, index) => (isShell && index === 0 ? word : quoteWord(word)))
    .join(' ');
  return isShell ? `sh -c ${quoteWord(line)}` : line;
}

function quoteWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The last column of an exit row: ok, failure, or why tend ended it (hung: … in red; task ended … plain). */
function exitVerdict(
  exit: { isFailure: boolean; reason: string | null },
  palette: Palette,
): string {
  if (exit.isFailure) return palette.red(exit.reason ?? 'failure');
  return exit.reason ?? palette.gray('ok');
}
