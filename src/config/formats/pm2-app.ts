import { basename, extname, resolve } from 'node:path';
import { closestMatch } from '../closest-match.js';
import { formatDuration } from '../human-units.js';
import { programNameProblem } from '../program-name.js';
import { foreignError, type PlacedProgram, type ProgramInput } from './foreign-config.js';
import { pm2CommandLine } from './pm2-command.js';
import {
  isDumpDefault,
  PM2_BACKOFF_CAP_MS,
  PM2_IGNORED_FIELDS,
  PM2_MAPPED_FIELDS,
  PM2_STOP_SIGNAL,
} from './pm2-fields.js';
import { parsePm2Duration, parsePm2Memory } from './pm2-units.js';

/** Where a PM2 app came from and what applies to all of them. */
export interface Pm2AppContext {
  file: string;
  /** Relative `cwd` and scripts are resolved against it (the file's folder). */
  baseDir: string;
  envName: string | undefined;
  cpuCount: number;
  /** A dump (from `pm2 save`) holds every field at its default: only values that differ are warned about. */
  isDump: boolean;
}

/** One PM2 app turned into a tend program, with what did not translate. */
export interface MappedApp {
  placed: PlacedProgram;
  warnings: string[];
}

/** Maps one PM2 app declaration (an ecosystem file's entry, or a dump's process) to a tend program. */
export function mapPm2App(
  app: Record<string, unknown>,
  place: string,
  context: Pm2AppContext,
): MappedApp {
  const warnings: string[] = [];
  const sources: PlacedProgram['sources'] = {};
  const fail = (field: string, expected: string, value: unknown): never => {
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_INVALID',
      context.file,
      place,
      `\`${field}\`: Expected ${expected}, got ${JSON.stringify(value)}`,
    );
  };

  const script = firstDefined(app, ['script', 'exec', 'cmd', 'command']);
  const scriptText = typeof script?.value === 'string' ? script.value.trim() : '';
  if (scriptText === '') {
    fail('script', 'the file or command to run (a non-empty string)', script?.value);
  }
  const name = pickName(app.name, scriptText, fail, warnings);
  const label = `app ${name}`;
  const warn = (field: string, reason: string) =>
    warnings.push(`${label}: \`${field}\` is not supported by tend, ignored: ${reason}`);

  const cwd = resolve(context.baseDir, stringField(app, 'cwd', fail) ?? '.');
  const program: ProgramInput = { name, command: '', cwd };
  sources.name = 'name';
  sources.cwd = 'cwd';

  // The environment: `env`, then `env_<envName>` over it, as `pm2 start --env <envName>`.
  const env = envObject(app.env, 'env', fail, warnings, label);
  if (context.envName !== undefined) {
    const key = `env_${context.envName}`;
    if (app[key] === undefined) {
      warnings.push(`${label}: has no \`${key}\`; only \`env\` is used`);
    } else Object.assign(env, envObject(app[key], key, fail, warnings, label));
  }
  if (app.port !== undefined) env.PORT = String(app.port);

  // The command line, as PM2 builds it.
  const line = pm2CommandLine(app, scriptText, cwd, fail, warn);
  program.command = line.command;
  if (line.args !== undefined) program.args = line.args;
  if (line.isShell) program.shell = true;
  if (/python/.test(basename(line.interpreter)) && env.PYTHONUNBUFFERED === undefined)
    env.PYTHONUNBUFFERED = '1';
  sources.command = 'script';
  sources.args = 'args';

  // Instances and cluster mode.
  const instances = instanceCount(app.instances, context.cpuCount, fail);
  const execMode = execModeOf(app.exec_mode, fail);
  const isNode = /(^|\/)(node|bun)$/.test(line.interpreter);
  const isCluster =
    execMode === 'cluster' || (execMode === undefined && app.instances !== undefined && isNode);
  if (instances !== 1) {
    program.instances = instances;
    sources.instances = 'instances';
  }
  const portText = env.PORT;
  if (isCluster && portText !== undefined) {
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      fail('env.PORT', 'a port number from 1 to 65535 for cluster mode', portText);
    delete env.PORT;
    program.proxy = { port };
    program.port = port + 1;
    sources.proxy = 'env.PORT';
    sources.port = 'env.PORT';
    warnings.push(
      `${label}: cluster mode: ${instances} processes on ports ${port + 1}-${port + instances} (each gets its own PORT) behind tend's proxy on 127.0.0.1:${port} (set proxy.host to serve other machines), where PM2 shares port ${port} among its workers`,
    );
  } else if (isCluster && instances > 1) {
    warnings.push(
      `${label}: cluster mode without a PORT in \`env\`: ${instances} separate processes; if they listen, set PORT in \`env\` for tend's proxy, or they will contend for one port`,
    );
  }
  program.env = env;

  // Restarts and stopping.
  program.stopSignal = PM2_STOP_SIGNAL;
  if (app.autorestart === false || app.autorestart === 'false') {
    program.restart = 'never';
    sources.restart = 'autorestart';
  }
  if (app.stop_exit_codes !== undefined) {
    const codes = [app.stop_exit_codes].flat().map(Number);
    if (codes.some((code) => !Number.isInteger(code)))
      fail('stop_exit_codes', 'exit codes (whole numbers)', app.stop_exit_codes);
    program.noRestartExitCodes = codes;
    sources.noRestartExitCodes = 'stop_exit_codes';
  }
  const duration = (field: string) => {
    if (app[field] === undefined) return undefined;
    const ms = parsePm2Duration(app[field]);
    return (
      ms ?? fail(field, "a duration: milliseconds, or a number with s, m or h ('10s')", app[field])
    );
  };
  const minUptimeMs = duration('min_uptime');
  if (minUptimeMs !== undefined) {
    program.minUptimeMs = minUptimeMs;
    sources.minUptimeMs = 'min_uptime';
  }
  if (app.max_restarts !== undefined) {
    program.maxRestarts = Number(app.max_restarts);
    sources.maxRestarts = 'max_restarts';
  }
  const backoffMs = duration('exp_backoff_restart_delay');
  const delayMs = duration('restart_delay');
  if (backoffMs !== undefined && backoffMs > 0) {
    program.backoffInitialMs = backoffMs;
    program.backoffMaxMs = Math.max(backoffMs, PM2_BACKOFF_CAP_MS);
    sources.backoffInitialMs = 'exp_backoff_restart_delay';
  } else if (delayMs !== undefined && delayMs > 0) {
    program.backoffInitialMs = delayMs;
    program.backoffMaxMs = delayMs;
    sources.backoffInitialMs = 'restart_delay';
    sources.backoffMaxMs = 'restart_delay';
    warnings.push(
      `${label}: \`restart_delay\` (${formatDuration(delayMs)}) applies to runs shorter than min_uptime; tend restarts a process that ran longer at once`,
    );
  }
  const stopTimeoutMs = duration('kill_timeout');
  if (stopTimeoutMs !== undefined) {
    program.stopTimeoutMs = stopTimeoutMs;
    sources.stopTimeoutMs = 'kill_timeout';
  }
  const startTimeoutMs = duration('listen_timeout');
  if (startTimeoutMs !== undefined) {
    program.startTimeoutMs = startTimeoutMs;
    sources.startTimeoutMs = 'listen_timeout';
  }

  // What tend does not do: named, never dropped silently.
  if (app.max_memory_restart !== undefined) {
    // PM2 checks every 30 s and restarts at once; tend checks every second, 3 checks in a row.
    const bytes = parsePm2Memory(app.max_memory_restart);
    if (bytes === undefined) {
      warnings.push(
        `${label}: \`max_memory_restart\` ${JSON.stringify(app.max_memory_restart)} is not a size such as 300M, ignored`,
      );
    } else program.maxMemoryBytes = bytes;
  }
  for (const [field, value] of Object.entries(app)) {
    if (PM2_MAPPED_FIELDS.includes(field) || field.startsWith('env_') || value === undefined)
      continue;
    const reason = PM2_IGNORED_FIELDS[field];
    if (reason === undefined) {
      const close = closestMatch(field, [...PM2_MAPPED_FIELDS, ...Object.keys(PM2_IGNORED_FIELDS)]);
      const hint = close === undefined ? '' : ` (did you mean \`${close}\`?)`;
      warnings.push(`${label}: \`${field}\` is not a PM2 app field tend knows, ignored${hint}`);
      continue;
    }
    if (context.isDump && isDumpDefault(field, value)) continue;
    if (field === 'wait_ready' && value !== true) continue;
    warn(field, reason);
  }
  return { placed: { program, place, sources }, warnings };
}

/** The first of these fields that the app sets, with its key. */
function firstDefined(
  app: Record<string, unknown>,
  keys: readonly string[],
): { key: string; value: unknown } | undefined {
  for (const key of keys) if (app[key] !== undefined) return { key, value: app[key] };
  return undefined;
}

/** Throws the error about one field of the app. */
export type Fail = (field: string, expected: string, value: unknown) => never;

/** The app's name, or PM2's default (the script's base name); an invalid name is made valid, with a warning. */
function pickName(value: unknown, script: string, fail: Fail, warnings: string[]): string {
  if (value !== undefined && typeof value !== 'string') fail('name', 'a string', value);
  const given =
    (value as string | undefined) ??
    basename(script.trim().split(/\s+/)[0] ?? script, extname(script));
  if (programNameProblem(given) === undefined) return given;
  const fixed = given
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .slice(0, 64);
  if (programNameProblem(fixed) !== undefined)
    return fail('name', 'a name of letters, digits, `.`, `_` and `-`', given);
  warnings.push(
    `app ${fixed}: the name ${JSON.stringify(given)} is not a valid tend name; imported as ${fixed}`,
  );
  return fixed;
}

function stringField(app: Record<string, unknown>, field: string, fail: Fail): string | undefined {
  const value = app[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return fail(field, 'a string', value);
  return value;
}

/** An `env` object as strings (PM2 passes numbers and booleans as text, and objects as JSON). */
function envObject(
  value: unknown,
  field: string,
  fail: Fail,
  warnings: string[],
  label: string,
): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    fail(field, 'an object of variables', value);
  const env: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (entry === null || entry === undefined) {
      warnings.push(`${label}: \`${field}.${key}\` has no value, left out`);
    } else env[key] = typeof entry === 'object' ? JSON.stringify(entry) : String(entry);
  }
  return env;
}

/** PM2's `instances`: a number, `'max'`; 0 means one per CPU and -n one per CPU less n. */
function instanceCount(value: unknown, cpuCount: number, fail: Fail): number {
  if (value === undefined) return 1;
  const count =
    value === 'max'
      ? 0
      : typeof value === 'string' && /^-?\d+$/.test(value.trim())
        ? Number(value)
        : value;
  if (typeof count !== 'number' || !Number.isInteger(count))
    return fail('instances', "a whole number or 'max'", value);
  if (count > 0) return count;
  return Math.max(1, cpuCount + count);
}

function execModeOf(value: unknown, fail: Fail): 'fork' | 'cluster' | undefined {
  if (value === undefined) return undefined;
  if (value === 'fork' || value === 'fork_mode') return 'fork';
  if (value === 'cluster' || value === 'cluster_mode') return 'cluster';
  return fail('exec_mode', "'fork' or 'cluster'", value);
}
