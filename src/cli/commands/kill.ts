import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';

/** `tend kill`: same as `tend daemon stop`. */
export async function run(_args: ParsedArgs, ctx: CliContext): Promise<number> {
  return stopDaemon(ctx);
}

/** Asks the daemon to stop every program and itself, and returns once it has closed the connection; no daemon is not an error. */
export async function stopDaemon(ctx: CliContext): Promise<number> {
  const client = await ctx.client({ isAutostart: false });
  const outcome = await client.stopDaemon();
  ctx.stdout.write(
    outcome === 'stopped'
      ? 'The daemon has stopped\n'
      : `No daemon is running (TEND_HOME=${ctx.home})\n`,
  );
  return 0;
}
