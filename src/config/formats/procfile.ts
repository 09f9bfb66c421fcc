import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseEnvFile } from './env-file.js';
import {
  checkPrograms,
  type ForeignConfig,
  foreignError,
  type PlacedProgram,
  type ReadForeignOptions,
} from './foreign-config.js';
import { readText } from './pm2-ecosystem.js';

/** foreman's first PORT, when neither the options nor `.env` give one. */
export const FOREMAN_BASE_PORT = 5000;
/** foreman's step between the PORTs of two process types. */
export const FOREMAN_PORT_STEP = 100;

/** A Procfile line as foreman reads it: `<type>: <command>`, the type of letters, digits, `_` and `-`. */
const PROCFILE_LINE = /^([A-Za-z0-9_-]+):\s*(.+)$/;

/**
 * Reads a Procfile (as foreman, honcho and overmind do) into tend programs: one per process type,
 * its command run through a shell (`sh -c`, as foreman does), in the Procfile's folder, with the
 * `.env` beside it, and PORT set as foreman sets it (base + 100 per type + the instance's index).
 */
export async function readProcfile(
  file: string,
  options: ReadForeignOptions = {},
): Promise<ForeignConfig> {
  const text = await readText(file);
  const folder = dirname(file);
  const envPath = join(folder, '.env');
  const env = existsSync(envPath) ? parseEnvFile(envPath, await readText(envPath)) : {};
  const basePort = options.basePort ?? portOf(envPath, env.PORT) ?? FOREMAN_BASE_PORT;
  delete env.PORT;
  const formation = parseFormation(file, options.formation);
  const warnings: string[] = [];
  const placed: PlacedProgram[] = [];
  const seen = new Set<string>();
  let typeIndex = 0;
  text.split(/\r?\n/).forEach((line, index) => {
    if (/^\s*(#.*)?$/.test(line)) return;
    const place = `line ${index + 1}`;
    const match = PROCFILE_LINE.exec(line.trim());
    if (!match) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_SYNTAX',
        file,
        place,
        `Expected \`<type>: <command>\` (the type of letters, digits, \`_\` and \`-\`), a # comment or a blank line, got ${JSON.stringify(line)}`,
      );
    }
    const [, name, command] = match as unknown as [string, string, string];
    if (seen.has(name)) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_INVALID',
        file,
        place,
        `Expected each process type once, got ${JSON.stringify(name)} again`,
      );
    }
    seen.add(name);
    const port = basePort + typeIndex * FOREMAN_PORT_STEP;
    typeIndex++;
    const instances = formation.get(name) ?? formation.get('all') ?? 1;
    if (instances === 0) {
      warnings.push(`${name}: formation ${name}=0, not imported`);
      return;
    }
    placed.push({
      program: {
        name,
        command: command.trim(),
        shell: true,
        cwd: folder,
        env: { ...env },
        instances,
        port,
        // foreman sets PORT for every type; only some listen, so none is waited for.
        readiness: 'none',
      },
      place,
      sources: {
        name: 'the process type',
        command: 'the command',
        instances: 'the formation',
        port: 'PORT',
      },
    });
  });
  for (const name of formation.keys()) {
    if (name !== 'all' && !seen.has(name))
      warnings.push(`formation: ${name} is not a process type of ${file}, ignored`);
  }
  if (placed.length === 0 && seen.size === 0) {
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_INVALID',
      file,
      undefined,
      'Expected at least one `<type>: <command>` line, got none',
    );
  }
  return { programs: checkPrograms(file, placed), warnings };
}

/** foreman's formation, `web=2,worker=1` or `all=2`, as counts by type. */
function parseFormation(file: string, formation: string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  if (formation === undefined) return counts;
  for (const part of formation.split(',')) {
    const match = /^\s*([A-Za-z0-9_-]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_INVALID',
        file,
        'formation',
        `Expected \`type=N\` pairs separated by commas (web=2,worker=1), got ${JSON.stringify(part)}`,
      );
    }
    counts.set(match[1] as string, Number(match[2]));
  }
  return counts;
}

function portOf(envPath: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_INVALID',
      envPath,
      'PORT',
      `Expected a port number from 1 to 65535, got ${JSON.stringify(value)}`,
    );
  }
  return port;
}
