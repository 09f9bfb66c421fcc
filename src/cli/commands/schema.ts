import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { writeJson } from '../output/json.js';

/** `tend schema`: prints the JSON Schema of tend.yaml, for editors. */
export async function run(_args: ParsedArgs, ctx: CliContext): Promise<number> {
  const { tendFileJsonSchema } = await import('../../config/tend-file/index.js');
  writeJson(ctx.stdout, tendFileJsonSchema());
  return 0;
}
