import { TendError, UsageError } from '../../errors.js';
import type { StartupScope } from '../../startup/daemon-unit.js';
import { installStartup, manualSteps, planStartup } from '../../startup/install-startup.js';
import { realStartupHost, type StartupHost } from '../../startup/startup-host.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { writeJson } from '../output/json.js';
import { warningLine } from '../output/stderr-line.js';
import { hasFlag } from '../parse-args.js';
import { tendCommand } from '../tend-command.js';

/** The init systems `tend startup` writes for. */
const INIT_SYSTEMS = ['systemd'];

/** `tend startup [systemd] [--user|--system] [--print] [--json]`. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  return runStartup(args, ctx, realStartupHost(ctx.env));
}

/** The command on a given machine (tests give a fake one). */
export async function runStartup(
  args: ParsedArgs,
  ctx: CliContext,
  host: StartupHost,
): Promise<number> {
  const system = args.positionals[0];
  if (system !== undefined && !INIT_SYSTEMS.includes(system)) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected \`tend startup\` alone or \`tend startup systemd\` (the only init system tend writes for), got ${JSON.stringify(system)}`,
    );
  }
  const request = { scope: scopeOption(args), home: ctx.home, env: ctx.env, tend: tendCommand() };
  const plan = planStartup(request, host);
  const isJson = hasFlag(args, 'json');
  if (hasFlag(args, 'print')) {
    if (isJson) writeJson(ctx.stdout, { ...plan, installed: false });
    else ctx.stdout.write(`# ${plan.path}\n${plan.unit}`);
    return 0;
  }
  const outcome = await installStartup(plan, host, await isDaemonRunning(ctx));
  if (!outcome.ok) {
    if (isJson) writeJson(ctx.stdout, { ...plan, installed: false });
    else {
      ctx.stdout.write(`${plan.unit}\n${manualSteps(plan, host.userName).join('\n')}\n`);
      if (!host.isSystemdRunning()) {
        const { node, bin } = request.tend;
        ctx.stdout.write(
          `Without systemd, a crontab line (crontab -e) starts the daemon at boot:\n  @reboot TEND_HOME=${ctx.home} ${node} ${bin} daemon start\n`,
        );
      }
    }
    throw new TendError(
      host.isSystemdRunning() ? 'TEND_ERR_STARTUP_FAILED' : 'TEND_ERR_STARTUP_NO_SYSTEMD',
      `${outcome.problem}: the unit was not installed; it is printed above, with where to put it`,
    );
  }
  if (isJson) {
    writeJson(ctx.stdout, { ...plan, installed: true, isStartedNow: outcome.isStartedNow });
    return 0;
  }
  const systemctl = plan.scope === 'user' ? 'systemctl --user' : 'systemctl';
  ctx.stdout.write(
    `Wrote ${plan.path} (Type=${plan.type}) and enabled it: the daemon for ${ctx.home} starts at boot.\n`,
  );
  ctx.stdout.write(
    outcome.isStartedNow
      ? `systemd runs it now (${systemctl} status tend).\n`
      : `A daemon already runs for this home: systemd runs its own from the next boot on (\`tend kill && ${systemctl} start tend\` switches now, restarting the programs).\n`,
  );
  if (outcome.lingerProblem !== undefined) {
    ctx.stderr.write(
      warningLine(
        `loginctl enable-linger ${host.userName} failed (${outcome.lingerProblem}): your systemd, and so tend, starts at your login rather than at boot until someone runs it`,
      ),
    );
  }
  return 0;
}

/** --user or --system (not both); undefined when neither is given. */
export function scopeOption(args: ParsedArgs): StartupScope | undefined {
  const isUser = hasFlag(args, 'user');
  const isSystem = hasFlag(args, 'system');
  if (isUser && isSystem) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      'Expected --user or --system, not both: a unit for your own systemd, or for the system',
    );
  }
  if (isUser) return 'user';
  return isSystem ? 'system' : undefined;
}

async function isDaemonRunning(ctx: CliContext): Promise<boolean> {
  try {
    const client = await ctx.client({ isAutostart: false });
    await client.health();
    return true;
  } catch (error) {
    if (error instanceof TendError && error.code === 'TEND_ERR_DAEMON_UNREACHABLE') return false;
    throw error;
  }
}
