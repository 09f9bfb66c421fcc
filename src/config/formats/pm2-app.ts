import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { splitCommandLine } from '../../cli/split-command-line.js';
import { programNameProblem } from '../program-name.js';
import { foreignError, type PlacedProgram, type ProgramInput } from './foreign-config.js';
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

/** The signal PM2 stops a process with (its PM2_KILL_SIGNAL default): apps written for PM2 handle it. */
export const PM2_STOP_SIGNAL = 'SIGINT';
/** PM2's cap on exp_backoff_restart_delay's growth. */
export const PM2_BACKOFF_CAP_MS = 15_000;

/** Interpreters PM2 picks by the script's extension (its lib/API/interpreter.json; python3 as PM2 falls back to). */
const INTERPRETER_BY_EXTENSION: Record<string, string> = {
  '.sh': 'bash',
  '.py': 'python3',
  '.rb': 'ruby',
  '.php': 'php',
  '.pl': 'perl',
  '.js': 'node',
  '.cjs': 'node',
  '.mjs': 'node',
  '.coffee': 'coffee',
  '.ls': 'lsc',
  '.ts': 'bun',
  '.tsx': 'bun',
};

const LOGS =
  "tend keeps each instance's output in its own rotated files under $TEND_HOME/logs (`tend logs <name>`, `--timestamps`)";
const PM2_ONLY = "is PM2's own (its Node.js wrapper, PM2.io monitoring or deployment)";

/**
 * PM2 app fields tend does not do, each with what tend does instead. With the fields the mapping
 * reads (PM2_MAPPED_FIELDS), this is every field of PM2's schema (a test checks it against PM2's own).
 */
export const PM2_IGNORED_FIELDS: Readonly<Record<string, string>> = {
  watch: 'tend does not watch files; `tend restart <name>` after a change',
  ignore_watch: 'tend does not watch files',
  watch_options: 'tend does not watch files',
  watch_delay: 'tend does not watch files',
  cron_restart: 'tend has no scheduled restarts',
  cron: 'tend has no scheduled restarts',
  max_memory_restart: 'tend does not restart on memory use yet',
  out_file: LOGS,
  out: LOGS,
  output: LOGS,
  out_log: LOGS,
  error_file: LOGS,
  error: LOGS,
  err: LOGS,
  err_file: LOGS,
  err_log: LOGS,
  log_file: LOGS,
  log: LOGS,
  merge_logs: LOGS,
  combine_logs: LOGS,
  log_date_format: LOGS,
  log_type: LOGS,
  disable_logs: LOGS,
  time: LOGS,
  pid_file: 'tend keeps the pids itself (`tend status <name>`)',
  pid: 'tend keeps the pids itself (`tend status <name>`)',
  uid: "tend runs programs as the daemon's user",
  user: "tend runs programs as the daemon's user",
  gid: "tend runs programs as the daemon's user",
  username: "tend runs programs as the daemon's user",
  instance_var: 'tend sets TEND_INSTANCE (0, 1, …), not NODE_APP_INSTANCE',
  increment_var: 'tend sets TEND_INSTANCE (0, 1, …) and, with a port, PORT = port + instance',
  wait_ready:
    "tend has no process.send('ready'); with a port, an instance is ready when the port accepts connections",
  shutdown_with_message: `tend stops a process with a signal (${PM2_STOP_SIGNAL} for apps from PM2)`,
  treekill: "tend always stops the instance's whole process group",
  autostart: 'tend starts what it imports; `tend stop <name>` afterwards',
  namespace: 'tend has no namespaces',
  name_prefix: 'tend has no namespaces',
  filter_env: "a program's environment is its `env` over the daemon's",
  append_env_to_name: 'tend keeps the name as given',
  force: PM2_ONLY,
  vizion: PM2_ONLY,
  pmx: PM2_ONLY,
  automation: PM2_ONLY,
  trace: PM2_ONLY,
  disable_trace: PM2_ONLY,
  v8: PM2_ONLY,
  event_loop_inspector: PM2_ONLY,
  deep_monitoring: PM2_ONLY,
  io: PM2_ONLY,
  post_update: PM2_ONLY,
  install_url: PM2_ONLY,
  execute_command: PM2_ONLY,
  windowsHide: PM2_ONLY,
  kill_retry_time: PM2_ONLY,
  write: PM2_ONLY,
  source_map_support: PM2_ONLY,
  disable_source_map_support: PM2_ONLY,
};

/** PM2 app fields that become tend settings (`env_<name>` is matched by its prefix). */
export const PM2_MAPPED_FIELDS: readonly string[] = [
  'name',
  'script',
  'exec',
  'cmd',
  'command',
  'args',
  'cwd',
  'interpreter',
  'exec_interpreter',
  'node_args',
  'interpreter_args',
  'interpreterArgs',
  'instances',
  'exec_mode',
  'env',
  'port',
  'autorestart',
  'stop_exit_codes',
  'min_uptime',
  'max_restarts',
  'restart_delay',
  'exp_backoff_restart_delay',
  'kill_timeout',
  'listen_timeout',
];

/** Values a dump holds for fields nobody set (`pm2 save` writes them all); `*` is any value. */
const DUMP_DEFAULTS: Readonly<Record<string, unknown>> = {
  watch: false,
  autostart: true,
  treekill: true,
  vizion: true,
  pmx: true,
  automation: true,
  windowsHide: true,
  kill_retry_time: 100,
  instance_var: 'NODE_APP_INSTANCE',
  namespace: 'default',
  filter_env: [],
  username: '*',
  merge_logs: '*',
};

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
  const interpreter =
    stringField(app, 'interpreter', fail) ?? stringField(app, 'exec_interpreter', fail);
  const args = wordList(app.args, 'args', fail);
  const interpreterArgs = wordList(
    app.node_args ?? app.interpreter_args ?? app.interpreterArgs,
    'node_args',
    fail,
  );
  let resolvedInterpreter =
    interpreter ??
    INTERPRETER_BY_EXTENSION[extname(scriptText)] ??
    interpreterForOtherScript(scriptText, cwd);
  if (interpreter === undefined && /\s/.test(scriptText)) {
    // PM2 runs a script with spaces as `bash -c "<script>"`, dropping `args`.
    program.command = scriptText;
    program.shell = true;
    if (args.length > 0) warn('args', 'PM2 ignores `args` when `script` is a command line');
    resolvedInterpreter = 'shell';
  } else if (resolvedInterpreter === 'none') {
    program.command = scriptText.includes('/') ? resolve(cwd, scriptText) : scriptText;
    program.args = args;
    if (interpreterArgs.length > 0)
      warn('node_args', 'the script is run directly, without an interpreter');
  } else {
    if (resolvedInterpreter.startsWith('node@')) {
      warn(
        'interpreter',
        `tend does not install Node.js versions (${resolvedInterpreter}); \`node\` from PATH is used`,
      );
      resolvedInterpreter = 'node';
    }
    program.command = resolvedInterpreter;
    program.args = [...interpreterArgs, resolve(cwd, scriptText), ...args];
    if (/python/.test(basename(resolvedInterpreter)) && env.PYTHONUNBUFFERED === undefined)
      env.PYTHONUNBUFFERED = '1';
  }
  sources.command = 'script';
  sources.args = 'args';

  // Instances and cluster mode.
  const instances = instanceCount(app.instances, context.cpuCount, fail);
  const execMode = execModeOf(app.exec_mode, fail);
  const isNode = /(^|\/)(node|bun)$/.test(resolvedInterpreter);
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
      `${label}: cluster mode: ${instances} processes on ports ${port + 1}-${port + instances} (each gets its own PORT) behind tend's proxy on ${port}, where PM2 shares port ${port} among its workers`,
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
      `${label}: \`restart_delay\` (${delayMs} ms) applies to runs shorter than min_uptime; tend restarts a process that ran longer at once`,
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
  for (const [field, value] of Object.entries(app)) {
    if (PM2_MAPPED_FIELDS.includes(field) || field.startsWith('env_') || value === undefined)
      continue;
    const reason = PM2_IGNORED_FIELDS[field];
    if (reason === undefined) {
      warnings.push(`${label}: \`${field}\` is not a PM2 app field tend knows, ignored`);
      continue;
    }
    if (context.isDump && isDumpDefault(field, value)) continue;
    if (field === 'wait_ready' && value !== true) continue;
    if (field === 'max_memory_restart') {
      const bytes = parsePm2Memory(value);
      warn(field, `${reason} (${JSON.stringify(value)} = ${bytes ?? '?'} bytes)`);
    } else warn(field, reason);
  }
  return { placed: { program, place, sources }, warnings };
}

/**
 * What PM2 runs a script with when its extension names no interpreter: a command found through
 * PATH, a binary, or a script with a `#!` line is run directly; a folder or any other file (or one
 * not there yet, such as a build output) is run with node, as PM2 does.
 */
function interpreterForOtherScript(script: string, cwd: string): string {
  const path = resolve(cwd, script);
  let descriptor: number | undefined;
  try {
    if (statSync(path).isDirectory()) return 'node';
    descriptor = openSync(path, 'r');
    const head = Buffer.alloc(512);
    const length = readSync(descriptor, head, 0, head.length, 0);
    const bytes = head.subarray(0, length);
    return bytes.includes(0) || bytes.toString('latin1').startsWith('#!') ? 'none' : 'node';
  } catch {
    return script.includes('/') ? 'node' : 'none';
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

/** The first of these fields that the app sets, with its key. */
function firstDefined(
  app: Record<string, unknown>,
  keys: readonly string[],
): { key: string; value: unknown } | undefined {
  for (const key of keys) if (app[key] !== undefined) return { key, value: app[key] };
  return undefined;
}

function isDumpDefault(field: string, value: unknown): boolean {
  if (!(field in DUMP_DEFAULTS)) return false;
  const expected = DUMP_DEFAULTS[field];
  return expected === '*' || JSON.stringify(expected) === JSON.stringify(value);
}

type Fail = (field: string, expected: string, value: unknown) => never;

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

/** A PM2 list of words: an array, or a string split as a shell would split plain words (no shell runs). */
function wordList(value: unknown, field: string, fail: Fail): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    if (value.some((word) => typeof word === 'object')) fail(field, 'an array of strings', value);
    return value.map(String);
  }
  if (typeof value === 'number') return [String(value)];
  if (typeof value !== 'string') return fail(field, 'a string or an array of strings', value);
  try {
    return splitCommandLine(value);
  } catch (error) {
    return fail(field, `words with balanced quotes (${(error as Error).message})`, value);
  }
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
