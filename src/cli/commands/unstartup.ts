import { existsSync } from 'node:fs';
import { TendError } from '../../errors.js';
import { removeStartup } from '../../startup/install-startup.js';
import { realStartupHost, type StartupHost } from '../../startup/startup-host.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { writeJson } from '../output/json.js';
import { hasFlag } from '../parse-args.js';
import { scopeOption } from './startup.js';

/** `tend unstartup [--user|--system] [--json]`. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  return runUnstartup(args, ctx, realStartupHost(ctx.env));
}

/** The command on a given machine (tests give a fake one). */
export async function runUnstartup(
  args: ParsedArgs,
  ctx: CliContext,
  host: StartupHost,
): Promise<number> {
  const scope = scopeOption(args) ?? (host.uid === 0 ? 'system' : 'user');
  const path = host.unitPath(scope);
  const outcome = await removeStartup(scope, host);
  if (!outcome.ok) {
    throw new TendError(
      'TEND_ERR_STARTUP_FAILED',
      `${outcome.problem}: the unit is still installed`,
    );
  }
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, { scope, path, removed: outcome.wasInstalled });
    return 0;
  }
  if (outcome.wasInstalled) {
    ctx.stdout.write(
      `Disabled and removed ${path}: the daemon no longer starts at boot (one that runs now goes on).\n`,
    );
    return 0;
  }
  const other = scope === 'user' ? 'system' : 'user';
  const otherPath = host.unitPath(other);
  ctx.stdout.write(
    existsSync(otherPath)
      ? `No unit at ${path}, but there is one at ${otherPath}: \`tend unstartup --${other}\` removes it.\n`
      : `No unit at ${path}: nothing to remove.\n`,
  );
  return 0;
}
