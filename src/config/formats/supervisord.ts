import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { closestMatch } from '../closest-match.js';
import { splitCommandLine } from '../split-command-line.js';
import {
  checkPrograms,
  type ForeignConfig,
  foreignError,
  type PlacedProgram,
  type ProgramInput,
  type ReadForeignOptions,
} from './foreign-config.js';
import { type IniSection, parseIniSections } from './ini-sections.js';
import { readText } from './pm2-ecosystem.js';

/** supervisord's own defaults that differ from tend's, applied so a program behaves as it did. */
export const SUPERVISORD_DEFAULTS = { stopwaitsecs: 10, exitcodes: [0] } as const;

const LOGS = "tend keeps each instance's output in its own rotated files under $TEND_HOME/logs";

/** `[program:x]` keys tend does not do, with what it does instead. */
export const SUPERVISORD_IGNORED_KEYS: Readonly<Record<string, string>> = {
  process_name: 'instances are named <name>:<index> (0, 1, …)',
  numprocs_start: 'instances are numbered from 0 (TEND_INSTANCE)',
  priority: 'tend starts programs in no set order',
  autostart: 'tend starts what it imports; `tend stop <name>` afterwards',
  user: "tend runs programs as the daemon's user",
  umask: "programs get the daemon's umask",
  serverurl: 'supervisorctl only',
  redirect_stderr: LOGS,
  stdout_logfile: LOGS,
  stdout_capture_maxbytes: LOGS,
  stdout_events_enabled: LOGS,
  stdout_syslog: LOGS,
  stderr_logfile: LOGS,
  stderr_logfile_maxbytes: LOGS,
  stderr_logfile_backups: LOGS,
  stderr_capture_maxbytes: LOGS,
  stderr_events_enabled: LOGS,
  stderr_syslog: LOGS,
};

/** `[program:x]` keys that become tend settings. */
export const SUPERVISORD_MAPPED_KEYS: readonly string[] = [
  'command',
  'numprocs',
  'directory',
  'environment',
  'autorestart',
  'startsecs',
  'startretries',
  'stopsignal',
  'stopwaitsecs',
  'exitcodes',
  'stopasgroup',
  'killasgroup',
  'stdout_logfile_maxbytes',
  'stdout_logfile_backups',
];

/** Sections that configure supervisord itself, with no program in them. */
const SUPERVISORD_OWN_SECTIONS =
  /^(supervisord|supervisorctl|unix_http_server|inet_http_server|rpcinterface:.*)$/;

/**
 * Reads a supervisord configuration's `[program:x]` sections into tend programs. Commands are
 * split into words as supervisord splits them (no shell), `%(…)s` expansions are done, and each
 * key tend does not do is named in a warning.
 */
export async function readSupervisordConfig(
  file: string,
  options: ReadForeignOptions = {},
): Promise<ForeignConfig> {
  const text = await readText(file);
  const warnings: string[] = [];
  const placed: PlacedProgram[] = [];
  const processEnv = options.env ?? process.env;
  for (const section of parseIniSections(file, text)) {
    const programName = /^program:(.+)$/.exec(section.name)?.[1]?.trim();
    if (programName === undefined) {
      if (!SUPERVISORD_OWN_SECTIONS.test(section.name)) {
        const kind = section.name.split(':')[0];
        warnings.push(
          `[${section.name}]: ${kind} sections are not supported by tend, ignored${kind === 'include' ? ' (import each included file on its own)' : ''}`,
        );
      }
      continue;
    }
    placed.push(mapProgram(file, section, programName, processEnv, warnings));
  }
  if (placed.length === 0) {
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_INVALID',
      file,
      undefined,
      'Expected at least one [program:NAME] section, got none',
    );
  }
  return { programs: checkPrograms(file, placed), warnings };
}

function mapProgram(
  file: string,
  section: IniSection,
  name: string,
  processEnv: Readonly<Record<string, string | undefined>>,
  warnings: string[],
): PlacedProgram {
  const place = `line ${section.line}: [program:${name}]`;
  const at = (key: string) => {
    const entry = section.entries.get(key);
    return entry === undefined ? place : `line ${entry.line}: [program:${name}]`;
  };
  const fail = (key: string, expected: string, value: unknown): never => {
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_INVALID',
      file,
      at(key),
      `\`${key}\`: Expected ${expected}, got ${JSON.stringify(value)}`,
    );
  };
  const numprocsText = section.entries.get('numprocs')?.value ?? '1';
  const numprocs = integer('numprocs', numprocsText, 1, fail);
  const start = integer(
    'numprocs_start',
    section.entries.get('numprocs_start')?.value ?? '0',
    0,
    fail,
  );
  const variables: Record<string, string> = {
    program_name: name,
    group_name: name,
    numprocs: String(numprocs),
    process_num: String(start),
    host_node_name: hostname(),
    here: dirname(file),
  };
  for (const [key, value] of Object.entries(processEnv))
    if (value !== undefined) variables[`ENV_${key}`] = value;
  const value = (key: string): string | undefined => {
    const entry = section.entries.get(key);
    if (entry === undefined) return undefined;
    if (key === 'command' && numprocs > 1 && /%\(process_num\)/.test(entry.value)) {
      fail(
        key,
        'no %(process_num) when numprocs > 1: tend runs one command line for all instances (read $TEND_INSTANCE, 0, 1, …, in the program instead)',
        entry.value,
      );
    }
    return expand(entry.value, variables, (problem) => fail(key, problem, entry.value));
  };

  const commandText = value('command');
  if (commandText === undefined || commandText.trim() === '')
    return fail('command', 'the command to run', commandText ?? '');
  let words: string[];
  try {
    words = splitCommandLine(commandText);
  } catch (error) {
    return fail('command', `words with balanced quotes (${(error as Error).message})`, commandText);
  }
  const [command, ...args] = words as [string, ...string[]];
  const directory = value('directory');
  const program: ProgramInput = {
    name,
    command,
    args,
    cwd: resolve(dirname(file), directory ?? '.'),
    env: parseEnvironment(value('environment') ?? '', (problem) =>
      fail('environment', problem, value('environment')),
    ),
  };
  const sources: PlacedProgram['sources'] = {
    name: 'the section name',
    command: 'command',
    args: 'command',
    cwd: 'directory',
    env: 'environment',
  };
  if (numprocs !== 1) {
    program.instances = numprocs;
    sources.instances = 'numprocs';
  }

  const exitcodes = (value('exitcodes') ?? SUPERVISORD_DEFAULTS.exitcodes.join(','))
    .split(',')
    .map((code) => code.trim());
  const codes = exitcodes.map((code) =>
    /^\d+$/.test(code)
      ? Number(code)
      : fail('exitcodes', 'exit codes separated by commas (0,2)', value('exitcodes')),
  );
  const autorestart = (value('autorestart') ?? 'unexpected').toLowerCase();
  if (autorestart === 'true') program.restart = 'always';
  else if (autorestart === 'false') program.restart = 'never';
  else if (autorestart === 'unexpected') {
    program.restart = 'on-failure';
    program.noRestartExitCodes = codes.filter((code) => code !== 0);
    sources.noRestartExitCodes = 'exitcodes';
    if (!codes.includes(0)) {
      warnings.push(
        `program ${name}: \`exitcodes\` leaves out 0, but tend never counts exit 0 as a failure: it is not restarted after exit 0`,
      );
    }
  } else fail('autorestart', 'true, false or unexpected', autorestart);
  sources.restart = 'autorestart';

  const seconds = (key: string, min: number): number | undefined => {
    const text = value(key);
    return text === undefined ? undefined : integer(key, text, min, fail) * 1000;
  };
  const minUptimeMs = seconds('startsecs', 0);
  if (minUptimeMs !== undefined) {
    program.minUptimeMs = minUptimeMs;
    sources.minUptimeMs = 'startsecs';
  }
  const startretries = value('startretries');
  if (startretries !== undefined) {
    program.maxRestarts = Math.max(1, integer('startretries', startretries, 0, fail));
    sources.maxRestarts = 'startretries';
  }
  const stopsignal = value('stopsignal');
  if (stopsignal !== undefined) {
    program.stopSignal = stopsignal.toUpperCase().startsWith('SIG')
      ? stopsignal.toUpperCase()
      : `SIG${stopsignal.toUpperCase()}`;
    sources.stopSignal = 'stopsignal';
  }
  program.stopTimeoutMs = seconds('stopwaitsecs', 1) ?? SUPERVISORD_DEFAULTS.stopwaitsecs * 1000;
  sources.stopTimeoutMs = 'stopwaitsecs';

  // Rotation: tend rotates both streams alike, by the stdout settings (0 bytes, "never rotate", it cannot do).
  const maxBytes = value('stdout_logfile_maxbytes');
  if (maxBytes !== undefined) {
    const bytes =
      supervisordBytes(maxBytes) ??
      fail('stdout_logfile_maxbytes', 'a size such as 50MB, 1KB or 1024', maxBytes);
    if (bytes === 0) {
      warnings.push(
        `program ${name}: \`stdout_logfile_maxbytes=0\` (never rotate) is not supported by tend, ignored: tend always rotates`,
      );
    } else {
      program.logMaxBytes = bytes;
      sources.logMaxBytes = 'stdout_logfile_maxbytes';
    }
  }
  const backups = value('stdout_logfile_backups');
  if (backups !== undefined) {
    program.logMaxFiles = integer('stdout_logfile_backups', backups, 0, fail) + 1;
    sources.logMaxFiles = 'stdout_logfile_backups';
  }

  for (const [key, entry] of section.entries) {
    if (SUPERVISORD_MAPPED_KEYS.includes(key)) continue;
    const reason = SUPERVISORD_IGNORED_KEYS[key];
    if (key === 'numprocs_start' && start === 0) continue;
    if (key === 'autostart' && entry.value.toLowerCase() === 'true') continue;
    if (key === 'process_name' && (numprocs === 1 || /%\(process_num\)/.test(entry.value)))
      continue;
    warnings.push(
      reason === undefined
        ? `program ${name}: \`${key}\` is not a supervisord program key tend knows, ignored${didYouMean(key)}`
        : `program ${name}: \`${key}\` is not supported by tend, ignored: ${reason}`,
    );
  }
  for (const key of ['stopasgroup', 'killasgroup']) {
    if (value(key)?.toLowerCase() === 'false') {
      warnings.push(
        `program ${name}: \`${key}=false\` is not supported by tend, ignored: tend always signals the instance's whole process group`,
      );
    }
  }
  return { program, place, sources };
}

/** supervisord's byte sizes: a number, or with KB, MB or GB (powers of 1024). */
function supervisordBytes(text: string): number | undefined {
  const match = /^\s*(\d+)\s*(KB|MB|GB)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit =
    { KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 }[(match[2] ?? '').toUpperCase() as 'KB'] ?? 1;
  return Number(match[1]) * unit;
}

/** ` (did you mean `x`?)` for a key close to a known one, else nothing. */
function didYouMean(key: string): string {
  const close = closestMatch(key, [
    ...SUPERVISORD_MAPPED_KEYS,
    ...Object.keys(SUPERVISORD_IGNORED_KEYS),
  ]);
  return close === undefined ? '' : ` (did you mean \`${close}\`?)`;
}

function integer(
  key: string,
  text: string,
  min: number,
  fail: (key: string, expected: string, value: unknown) => never,
): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < min)
    return fail(key, `a whole number ≥ ${min}`, text);
  return Number(trimmed);
}

/**
 * supervisord's `%(name)s` / `%(name)02d` expansions (Python's %-format over a dict); `%%` is `%`.
 * An unknown name is reported with the names there are.
 */
export function expand(
  text: string,
  variables: Readonly<Record<string, string>>,
  fail: (problem: string) => never,
): string {
  return text.replace(
    /%%|%\(([^)]+)\)([-#0 +]*)(\d*)([sd])/g,
    (match, name: string | undefined, flags: string, width: string, type: string) => {
      if (match === '%%') return '%';
      const found = variables[name as string];
      if (found === undefined) {
        return fail(
          `only known %(…) names (program_name, process_num, numprocs, group_name, host_node_name, here, ENV_<variable>); %(${name}) is none`,
        );
      }
      if (type === 'd' && !/^-?\d+$/.test(found)) return fail(`%(${name})d to be a number`);
      const padding = flags.includes('0') && !flags.includes('-') ? '0' : ' ';
      const size = Number(width || '0');
      return flags.includes('-') ? found.padEnd(size, ' ') : found.padStart(size, padding);
    },
  );
}

/**
 * supervisord's `environment`: `KEY="value",KEY2=value2`, split as its dict_of_key_value_pairs
 * does (shell-like words; commas and `=` separate outside quotes).
 */
export function parseEnvironment(
  text: string,
  fail: (problem: string) => never,
): Record<string, string> {
  const env: Record<string, string> = {};
  const trimmed = text.trim();
  if (trimmed === '') return env;
  let index = 0;
  const readWord = (stops: string): string => {
    let word = '';
    while (index < trimmed.length && !stops.includes(trimmed[index] as string)) {
      const char = trimmed[index] as string;
      if (char === '"' || char === "'") {
        const opening = index++;
        // As shlex: '…' is literal; in "…" a backslash escapes " and \.
        while (trimmed[index] !== char) {
          if (index >= trimmed.length) {
            return fail(`a closing ${char} for the quote at character ${opening + 1}`);
          }
          const next = trimmed[index + 1];
          if (char === '"' && trimmed[index] === '\\' && (next === '"' || next === '\\')) index++;
          word += trimmed[index++];
        }
        index++;
      } else if (char === '\\' && index + 1 < trimmed.length) {
        word += trimmed[index + 1];
        index += 2;
      } else {
        word += char;
        index++;
      }
    }
    return word;
  };
  while (index < trimmed.length) {
    while (/[\s,]/.test(trimmed[index] ?? '')) index++;
    if (index >= trimmed.length) break;
    const key = readWord('=,').trim();
    if (trimmed[index] !== '=' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      return fail(
        `KEY=value pairs separated by commas (KEY="a b",OTHER=c); ${JSON.stringify(key)} is not followed by =`,
      );
    }
    index++;
    env[key] = readWord(',').trim();
  }
  return env;
}
