import { setTimeout as delay } from 'node:timers/promises';
import { ApiClient } from '../../api/client.js';
import type { HealthReply } from '../../api/wire.js';
import { formatDuration, formatElapsed } from '../../config/human-units.js';
import { describeRecovery } from '../../core/describe-recovery.js';
import { DaemonError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { writeJson } from '../output/json.js';
import { hasFlag } from '../parse-args.js';

/** How long `tend daemon reload` waits for the new daemon to answer. */
const RELOAD_TIMEOUT_MS = 30_000;
/** Pause between two questions to the socket while the daemons hand over (there is no event across two daemons). */
const RELOAD_RETRY_MS = 20;

/**
 * `tend daemon reload` (`tend update`): the running daemon hands everything over to a new one
 * started from the code installed now; no managed process restarts. Prints both versions.
 */
export async function reloadDaemon(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const client = await ctx.client({ isAutostart: false });
  const before = await client.health();
  const startedAt = Date.now();
  await client.request('POST', '/v1/daemon/reload');
  const after = await waitForNewDaemon(client.socketPath, before.pid);
  const tookMs = Date.now() - startedAt;
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, { before, after, tookMs });
    return 0;
  }
  ctx.stdout.write(
    `The daemon was reloaded: version ${before.version} (pid ${before.pid}) → version ${after.version} (pid ${after.pid}), in ${formatElapsed(tookMs)}; no program was restarted\n`,
  );
  if (after.recovery) ctx.stdout.write(`${describeRecovery(after.recovery)}\n`);
  return 0;
}

async function waitForNewDaemon(socketPath: string, oldPid: number): Promise<HealthReply> {
  const deadline = Date.now() + RELOAD_TIMEOUT_MS;
  const probe = new ApiClient({ socketPath });
  while (Date.now() < deadline) {
    const health = await probe.health().catch(() => undefined);
    if (health !== undefined && health.pid !== oldPid) return health;
    await delay(RELOAD_RETRY_MS);
  }
  throw new DaemonError(
    'TEND_ERR_DAEMON_UNREACHABLE',
    `The daemon handed over, but no new daemon answered on ${socketPath} within ${formatDuration(RELOAD_TIMEOUT_MS)}; see daemon.out and daemon.log in TEND_HOME`,
  );
}
