import type { ParsedArgs } from '../command-types.js';
import { completeWords } from '../complete-words.js';
import type { CliContext } from '../context.js';

/** `tend __complete -- <words…>`: one completion per line, for the scripts of `tend completion`. Never starts a daemon. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const programNames = async () => {
    try {
      const client = await ctx.client({ isAutostart: false });
      return (await client.listPrograms()).map((program) => program.name);
    } catch {
      return [];
    }
  };
  const completions = await completeWords(args.positionals, programNames);
  if (completions.length > 0) ctx.stdout.write(`${completions.join('\n')}\n`);
  return 0;
}
