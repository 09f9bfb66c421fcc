import { NotFoundError, UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseProgramName } from '../option-values.js';
import { stderrLine, warningLine } from '../output/stderr-line.js';
import { hasFlag, stringOption } from '../parse-args.js';

/**
 * `tend export [name...] [--format F] [--image IMG] [--with-shell-env]`: prints the managed programs
 * (all, or those named) as a tend.yaml that `tend apply` reads back unchanged, or as another system's files.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const format = stringOption(args, 'format') ?? 'tend';
  const { FOREIGN_EXPORTS } = await import('../../export/foreign-formats.js');
  const exporter =
    format === 'tend' ? undefined : FOREIGN_EXPORTS[format as keyof typeof FOREIGN_EXPORTS];
  if (format !== 'tend' && exporter === undefined) {
    const available = ['tend', ...Object.keys(FOREIGN_EXPORTS)];
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected --format to be one of ${available.join(', ')} (the formats this build writes), got ${JSON.stringify(format)}`,
    );
  }
  const names = [...new Set(args.positionals.map(parseProgramName))];
  const client = await ctx.client();
  const programs = await client.listPrograms();
  const unknown = names.filter((name) => !programs.some((program) => program.name === name));
  if (unknown.length > 0) {
    throw new NotFoundError(
      'TEND_ERR_PROGRAM_NOT_FOUND',
      `No program named ${unknown.map((name) => `\`${name}\``).join(', ')}; \`tend ls\` lists them`,
    );
  }
  const { declaredSpec, isSessionVariable } = await import('../../export/host-env.js');
  const isWithShellEnv = hasFlag(args, 'with-shell-env');
  const chosen = programs.filter((program) => names.length === 0 || names.includes(program.name));
  const specs = chosen.map((program) => {
    const { spec, leftOut } = declaredSpec(program.spec, isWithShellEnv);
    if (leftOut.length > 0) {
      ctx.stderr.write(
        stderrLine(
          `${spec.name}: left out ${leftOut.length} variables \`tend start\` copied from its shell (such as ${leftOut.slice(0, 5).join(', ')}); --with-shell-env writes them too`,
        ),
      );
    }
    return spec;
  });
  if (exporter === undefined) {
    const { exportTendFile } = await import('../../config/tend-file/index.js');
    ctx.stdout.write(exportTendFile(specs));
    for (const { spec } of isWithShellEnv ? chosen : []) {
      const session = (spec.shellEnvNames ?? []).filter(isSessionVariable);
      if (session.length === 0) continue;
      // Written to a file, a session variable is fixed for every machine and user.
      ctx.stderr.write(
        warningLine(
          `${spec.name}: env holds session variables of the shell \`tend start\` ran in (${session.slice(0, 5).join(', ')}${session.length > 5 ? ', …' : ''}); the file sets them wherever it is applied: keep only what the program needs`,
        ),
      );
    }
    return 0;
  }
  const image = stringOption(args, 'image');
  const { text, warnings } = exporter(specs, {
    ...(image === undefined ? {} : { image }),
    home: ctx.home,
  });
  for (const warning of warnings) ctx.stderr.write(warningLine(warning));
  ctx.stdout.write(text);
  return 0;
}
