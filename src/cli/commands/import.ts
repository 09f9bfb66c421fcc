import { join, resolve } from 'node:path';
import type { ApiClient } from '../../api/client.js';
import type { ProgramDetail } from '../../api/wire.js';
import type { ForeignFormat, ProgramInput } from '../../config/formats/index.js';
import { instancePort } from '../../config/instance-port.js';
import { ConflictError, isErrorCode, TendError, UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { writeJson } from '../output/json.js';
import { warningLine } from '../output/stderr-line.js';
import { hasFlag, stringOption } from '../parse-args.js';

/** The kinds of file `tend import` takes, as typed. */
export const IMPORT_KINDS = ['pm2', 'ecosystem', 'procfile', 'supervisord'] as const;
type ImportKind = (typeof IMPORT_KINDS)[number];

/** Which file to read, and as what: the path given, or the kind's default; `pm2` reads a dump or an ecosystem file by its name. */
export function planImport(
  kind: string | undefined,
  path: string | undefined,
  where: { cwd: string; env: Readonly<Record<string, string | undefined>> },
  formatOfName: (path: string) => ForeignFormat | null,
): { file: string; format: ForeignFormat } {
  if (!IMPORT_KINDS.includes(kind as ImportKind)) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected what to import: ${IMPORT_KINDS.join(', ')}; got ${JSON.stringify(kind ?? '')}`,
    );
  }
  if (kind === 'pm2') {
    const pm2Home = where.env.PM2_HOME ?? join(where.env.HOME ?? '~', '.pm2');
    const file = resolve(where.cwd, path ?? join(pm2Home, 'dump.pm2'));
    return { file, format: formatOfName(file) === 'pm2' ? 'pm2' : 'pm2-dump' };
  }
  if (kind === 'procfile')
    return { file: resolve(where.cwd, path ?? 'Procfile'), format: 'procfile' };
  if (path === undefined) {
    throw new UsageError(
      'TEND_ERR_USAGE_MISSING_ARGUMENT',
      `Expected the path of the ${kind === 'ecosystem' ? 'ecosystem file' : 'supervisord configuration'} after \`tend import ${kind}\``,
    );
  }
  return { file: resolve(where.cwd, path), format: kind === 'ecosystem' ? 'pm2' : 'supervisord' };
}

/** Refuses an option that the file's format does not use, rather than ignoring it. */
export function checkImportOptions(
  format: ForeignFormat,
  envName: string | undefined,
  formation: string | undefined,
): void {
  if (envName !== undefined && format !== 'pm2') {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      'Expected --env with a PM2 ecosystem file: only they have env_<name>',
    );
  }
  if (formation !== undefined && format !== 'procfile') {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      'Expected --formation with a Procfile: it sets the instances per process type',
    );
  }
}

/**
 * `tend import`: creates in the daemon the programs of a PM2 dump or ecosystem file, a Procfile or
 * a supervisord configuration. All or nothing: a name already managed or an invalid program
 * refuses the whole file, and a program the daemon refuses removes the ones created before it.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const formats = await import('../../config/formats/index.js');
  const [kind, path] = args.positionals;
  const { file, format } = planImport(kind, path, ctx, formats.detectForeignFormat);
  const envName = stringOption(args, 'env');
  const formation = stringOption(args, 'formation');
  checkImportOptions(format, envName, formation);
  const config = await formats
    .readForeignConfig(file, format, {
      env: ctx.env,
      ...(envName === undefined ? {} : { envName }),
      ...(formation === undefined ? {} : { formation }),
    })
    .catch((error: unknown) => {
      throw asCliError(error);
    });
  const isJson = hasFlag(args, 'json');
  if (!isJson) for (const warning of config.warnings) ctx.stderr.write(warningLine(warning));
  if (hasFlag(args, 'dry-run')) {
    if (isJson) writeJson(ctx.stdout, { programs: config.programs, warnings: config.warnings });
    else {
      ctx.stdout.write(`Would import ${config.programs.length} program(s) from ${file}:\n`);
      for (const program of config.programs) ctx.stdout.write(`  ${describeImported(program)}\n`);
    }
    return 0;
  }
  const client = await ctx.client();
  const taken = new Set((await client.listPrograms()).map((program) => program.name));
  const clashes = config.programs.filter((program) => taken.has(program.name)).map((p) => p.name);
  if (clashes.length > 0) {
    throw new ConflictError(
      'TEND_ERR_PROGRAM_EXISTS',
      `Expected names not yet managed; ${clashes.join(', ')} ${clashes.length === 1 ? 'is' : 'are'} already: nothing was imported (\`tend delete\` ${clashes.length === 1 ? 'it' : 'them'} first, or rename in ${file})`,
    );
  }
  const created = await createAll(client, config.programs);
  if (isJson) writeJson(ctx.stdout, { programs: created, warnings: config.warnings });
  else {
    ctx.stdout.write(`Imported ${created.length} program(s) from ${file}:\n`);
    for (const program of config.programs) ctx.stdout.write(`  ${describeImported(program)}\n`);
  }
  return 0;
}

/** Creates the programs in order; when the daemon refuses one, deletes those created before it and rethrows. */
async function createAll(
  client: ApiClient,
  programs: readonly ProgramInput[],
): Promise<ProgramDetail[]> {
  const created: ProgramDetail[] = [];
  for (const program of programs) {
    try {
      created.push(await client.createProgram(program));
    } catch (error) {
      const names = created.map((detail) => detail.name);
      for (const name of names) await client.deletePrograms(name).catch(() => undefined);
      if (!(error instanceof TendError)) throw error;
      const undone = names.length > 0 ? ` (${names.join(', ')} removed again)` : '';
      throw new TendError(
        error.code,
        `${program.name}: ${error.message}; nothing was imported${undone}`,
        { cause: error },
      );
    }
  }
  return created;
}

/** One line: the name, the instances and the ports they get, and the command line. */
export function describeImported(program: ProgramInput): string {
  const size = program.instances ?? program.min ?? 1;
  const words = [program.command, ...(program.args ?? [])];
  const command = words
    .map((word) => (/[\s"']/.test(word) ? JSON.stringify(word) : word))
    .join(' ');
  const first = instancePort(program, 0);
  const last = instancePort(program, size - 1);
  const ports =
    first === null ? '' : first === last ? ` on port ${first}` : ` on ports ${first}-${last}`;
  const proxy = program.proxy ? `, proxy on ${program.proxy.port}` : '';
  const instances = `${size} instance${size === 1 ? '' : 's'}${ports}${proxy}`;
  return `${program.name} (${instances}): ${program.shell ? `sh -c ${JSON.stringify(program.command)}` : command}`;
}

/**
 * The formats module is loaded from dist/src at run time, beside the CLI bundle, so its errors are
 * instances of another copy of TendError: rebuilt here as this one, code and message unchanged.
 */
function asCliError(error: unknown): unknown {
  if (error instanceof TendError || !(error instanceof Error)) return error;
  const { code } = error as { code?: unknown };
  return isErrorCode(code) ? new UsageError(code, error.message, { cause: error }) : error;
}
