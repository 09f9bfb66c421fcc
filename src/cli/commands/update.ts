import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { reloadDaemon } from './daemon-reload.js';

/** `tend update`: the same as `tend daemon reload`. */
export function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  return reloadDaemon(args, ctx);
}
