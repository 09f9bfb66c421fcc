import { UsageError } from '../../errors.js';
import { COMMANDS, findCommand } from '../command-table.js';
import type { CommandSpec, ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { formatCommandHelp, formatOverview } from '../output/help-text.js';
import { loadPalette } from '../output/palette.js';

/** `tend help [command]`. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const word = args.positionals[0];
  if (word === undefined) return showOverview(ctx);
  const command = findCommand(word);
  if (!command) {
    throw new UsageError(
      'TEND_ERR_USAGE_UNKNOWN_COMMAND',
      `Expected a command to explain, got ${JSON.stringify(word)}; \`tend help\` lists them`,
    );
  }
  return showCommandHelp(ctx, command);
}

/** Prints the list of commands. */
export async function showOverview(ctx: CliContext): Promise<number> {
  ctx.stdout.write(formatOverview(COMMANDS, await loadPalette(ctx.isColor)));
  return 0;
}

/** Prints one command's help, with the program defaults read from the schema's defaults. */
export async function showCommandHelp(ctx: CliContext, command: CommandSpec): Promise<number> {
  // Only help pays for loading the schema (and zod): the defaults stay in one place.
  const { PROGRAM_DEFAULTS } = await import('../../config/program-spec.js');
  ctx.stdout.write(formatCommandHelp(command, PROGRAM_DEFAULTS, await loadPalette(ctx.isColor)));
  return 0;
}
