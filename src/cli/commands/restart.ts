import { type ProxyRestartReply, TARGET_SEPARATOR } from '../../api/wire.js';
import { formatElapsed } from '../../config/human-units.js';
import { UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTargets } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { loadPalette } from '../output/palette.js';
import { formatSlowStart } from '../output/slow-start.js';
import { expectedStarts, throwIfStartFailed } from '../output/start-failures.js';
import { formatWaitingNotes } from '../output/waiting-notes.js';
import { hasFlag } from '../parse-args.js';
import { actAndWatchStarts } from '../start-watch.js';

/**
 * `tend restart <name...|all>`: returns once every instance was spawned again and (without
 * --no-wait) each new process is ready or has run minUptime; one that exits first fails it.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const target = parseTargets(args.positionals);
  if (hasFlag(args, 'proxy')) return restartProxies(target, args, ctx);
  const client = await ctx.client();
  const act = () => client.restartPrograms(target);
  let programs: Awaited<ReturnType<typeof act>>;
  if (hasFlag(args, 'no-wait')) programs = await act();
  else {
    // Every program's events: a restart also starts what the targets depend on.
    const isJson = hasFlag(args, 'json');
    const watched = await actAndWatchStarts(client, 'all', act, expectedStarts, {
      isRestart: true,
      onSlow: (notReady) => {
        if (!isJson) ctx.stderr.write(formatSlowStart(notReady));
      },
    });
    await throwIfStartFailed(client, watched.verdict);
    programs = watched.result;
  }
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, programs);
    return 0;
  }
  if (programs.length === 0) ctx.stdout.write('No programs to restart\n');
  // The reply also has what the targets depend on: started when it was not running, else left alone.
  const targets = target === 'all' ? undefined : new Set(target.split(TARGET_SEPARATOR));
  for (const program of programs) {
    const isDependency = targets !== undefined && !targets.has(program.name);
    if (isDependency && program.effect.changed.length === 0) continue;
    const pids = program.instances.map((instance) => instance.pid ?? '-').join(', ');
    ctx.stdout.write(`${isDependency ? 'Started' : 'Restarted'} ${program.name} (pid ${pids})\n`);
  }
  ctx.stdout.write(formatWaitingNotes(programs, await loadPalette(ctx.isColor)));
  return 0;
}

/** `tend restart <name...|all> --proxy`: a new proxy process for each pool, the instances left alone. */
async function restartProxies(target: string, args: ParsedArgs, ctx: CliContext): Promise<number> {
  if (hasFlag(args, 'no-wait')) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      'Expected --proxy without --no-wait: a proxy is replaced once its successor listens, and the time between is what it reports',
    );
  }
  const client = await ctx.client();
  const replies = await client.restartProxies(target);
  if (hasFlag(args, 'json')) writeJson(ctx.stdout, replies);
  else if (replies.length === 0) ctx.stdout.write('No pools with a proxy to restart\n');
  else for (const reply of replies) ctx.stdout.write(formatProxyRestart(reply));
  return 0;
}

/** `Replaced the proxy of web (pid 41 → 57): its port refused connections for at most 120ms, and the connections through it were cut`. */
function formatProxyRestart(reply: ProxyRestartReply): string {
  const pids = `pid ${reply.previousPid ?? '-'} → ${reply.pid ?? '-'}`;
  return `Replaced the proxy of ${reply.name} (${pids}): its port refused connections for at most ${formatElapsed(reply.closedMs)}, and the connections through it were cut\n`;
}
