import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import {
  checkPrograms,
  type ForeignConfig,
  foreignError,
  type PlacedProgram,
  type ReadForeignOptions,
} from './foreign-config.js';
import { mapPm2App } from './pm2-app.js';
import { parseJson, readText } from './pm2-ecosystem.js';
import { PM2_IGNORED_FIELDS, PM2_MAPPED_FIELDS } from './pm2-fields.js';

/** What `pm2 save` writes for every process; without them a dump cannot be read. */
const REQUIRED_DUMP_FIELDS = ['name', 'pm_exec_path'] as const;

/** Variables PM2 puts in a process's saved environment for itself, that a shell set for the `pm2` command, or that tend sets. */
const PM2_OWN_ENV =
  /^(PM2_.*|pm_id|unique_id|NODE_APP_INSTANCE|PWD|OLDPWD|SHLVL|_|TEND_NAME|TEND_INSTANCE)$/;

/** A dump's processes of one app: PM2 saves each instance of a cluster as its own entry. */
interface DumpGroup {
  first: Record<string, unknown>;
  index: number;
  count: number;
}

/**
 * Reads a PM2 dump (`~/.pm2/dump.pm2`, the JSON array of processes that `pm2 save` writes) into tend
 * programs: one program per app name, with as many instances as the dump has processes of it.
 */
export async function readPm2Dump(
  file: string,
  options: ReadForeignOptions = {},
): Promise<ForeignConfig> {
  const text = await readText(
    file,
    '`pm2 save` writes it into $PM2_HOME, by default ~/.pm2; `tend import pm2 <path>` reads another file',
  );
  const value = parseJson(file, text);
  if (!Array.isArray(value)) {
    throw dumpError(
      file,
      undefined,
      `Expected a JSON array of processes (what \`pm2 save\` writes), got ${describe(value)}`,
    );
  }
  if (value.length === 0) {
    throw dumpError(
      file,
      undefined,
      'Expected at least one process; the dump is empty (`pm2 save` with processes running writes them)',
    );
  }
  const groups = new Map<string, DumpGroup>();
  value.forEach((entry, index) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw dumpError(
        file,
        `process ${index}`,
        `Expected an object describing a process, got ${describe(entry)}`,
      );
    }
    const record = entry as Record<string, unknown>;
    const missing = REQUIRED_DUMP_FIELDS.filter((field) => typeof record[field] !== 'string');
    if (missing.length > 0) {
      const version =
        typeof record._pm2_version === 'string'
          ? `PM2 ${record._pm2_version}`
          : 'a PM2 version tend does not know';
      const named = typeof record.name === 'string' ? ` (${record.name})` : '';
      throw dumpError(
        file,
        `process ${index}${named}`,
        `Expected ${missing.map((field) => `\`${field}\``).join(' and ')} in each process (the name and script path that PM2 2.x to 7.x save); the dump looks written by ${version}, with keys ${Object.keys(record).slice(0, 12).join(', ')}${Object.keys(record).length > 12 ? ', …' : ''}`,
      );
    }
    const name = record.name as string;
    const group = groups.get(name);
    if (group) group.count++;
    else groups.set(name, { first: record, index, count: 1 });
  });

  const warnings: string[] = [];
  const placed: PlacedProgram[] = [];
  const cpuCount = options.cpuCount ?? availableParallelism();
  for (const [name, group] of groups) {
    const app = appOfDumpEntry(group.first, group.count);
    const mapped = mapPm2App(app, `process ${group.index} (${name})`, {
      file,
      baseDir: typeof app.cwd === 'string' ? app.cwd : dirname(file),
      envName: undefined,
      cpuCount,
      isDump: true,
    });
    placed.push(mapped.placed);
    warnings.push(...mapped.warnings);
    if (group.first.status === 'stopped' || group.first.status === 'errored') {
      warnings.push(
        `app ${name}: was ${group.first.status} in PM2; tend starts it (\`tend stop ${name}\` afterwards)`,
      );
    }
  }
  return { programs: checkPrograms(file, placed), warnings };
}

/**
 * A dump entry as an app declaration: the resolved script, folder and interpreter PM2 saved, the
 * saved environment without PM2's own variables, and the app fields; PM2's run-time state
 * (pids, counters, monitoring) is left out.
 */
function appOfDumpEntry(entry: Record<string, unknown>, count: number): Record<string, unknown> {
  const app: Record<string, unknown> = {};
  for (const field of [...PM2_MAPPED_FIELDS, ...Object.keys(PM2_IGNORED_FIELDS)]) {
    if (entry[field] !== undefined && entry[field] !== null) app[field] = entry[field];
  }
  app.script = entry.pm_exec_path;
  app.cwd = entry.pm_cwd ?? entry.cwd;
  app.interpreter = entry.exec_interpreter ?? 'none';
  app.instances = count;
  const savedEnv =
    typeof entry.env === 'object' && entry.env !== null
      ? (entry.env as Record<string, unknown>)
      : {};
  const env: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(savedEnv)) {
    if (!PM2_OWN_ENV.test(key) && key !== entry.name && typeof value !== 'object') env[key] = value;
  }
  app.env = env;
  // Where PM2 put the logs is always set in a dump; only a path the user chose is worth a warning.
  for (const field of ['out_file', 'error_file', 'log_file', 'pid_file']) delete app[field];
  return app;
}

function dumpError(file: string, place: string | undefined, message: string) {
  return foreignError('TEND_ERR_CONFIG_IMPORT_PM2_DUMP', file, place, message);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
