import { writeSync } from 'node:fs';
import {
  isLoopbackHost,
  type ListenSetting,
  parseListenAddress,
} from '../../config/listen-address.js';
import { describeRecovery } from '../../core/describe-recovery.js';
import { UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { loadDaemon } from '../load-daemon.js';
import { writeJson } from '../output/json.js';
import { warningLine } from '../output/stderr-line.js';
import { hasFlag, stringOption } from '../parse-args.js';

/** `tend daemon [stop|status|start]`. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const action = args.positionals[0];
  const listen = stringOption(args, 'listen');
  if (action !== undefined && (listen !== undefined || hasFlag(args, 'listen-public'))) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected --listen only with \`tend daemon\` alone (\`tend dashboard\` turns the listener on in a running daemon), got it with ${action}`,
    );
  }
  switch (action) {
    case undefined:
      return runInForeground(ctx, listen, hasFlag(args, 'listen-public'));
    case 'stop': {
      const { stopDaemon } = await import('./kill.js');
      return stopDaemon(ctx);
    }
    case 'status':
      return showStatus(args, ctx, false);
    case 'start':
      return showStatus(args, ctx, true);
    case 'reload': {
      const { reloadDaemon } = await import('./daemon-reload.js');
      return reloadDaemon(args, ctx);
    }
    default:
      throw new UsageError(
        'TEND_ERR_USAGE_INVALID_ARGUMENT',
        `Expected \`tend daemon\` alone, or followed by stop, status, start or reload; got ${JSON.stringify(action)}`,
      );
  }
}

async function showStatus(
  args: ParsedArgs,
  ctx: CliContext,
  isAutostart: boolean,
): Promise<number> {
  const client = await ctx.client({ isAutostart });
  const health = await client.health();
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, health);
    return 0;
  }
  ctx.stdout.write(
    `The daemon runs: pid ${health.pid}, version ${health.version}, since ${health.startedAt}, home ${health.home}\n`,
  );
  // A crash is among the problems already; a reload is not a problem.
  if (health.recovery?.after === 'reload')
    ctx.stdout.write(`${describeRecovery(health.recovery)}\n`);
  for (const problem of health.problems) ctx.stdout.write(`problem at start-up: ${problem}\n`);
  for (const fault of health.faults ?? []) ctx.stdout.write(`problem now: ${fault}\n`);
  return 0;
}

/** Runs the daemon in this process until it stops; a starter waiting on TEND_NOTIFY_FD hears of any failure. */
async function runInForeground(
  ctx: CliContext,
  listen: string | undefined,
  isPublic: boolean,
): Promise<number> {
  if (ctx.isInShell) {
    throw new UsageError(
      'TEND_ERR_USAGE',
      '`tend daemon` runs the daemon in the foreground: run it from a terminal, not inside `tend shell`',
    );
  }
  if (isPublic && listen === undefined) {
    throw new UsageError(
      'TEND_ERR_USAGE_MISSING_ARGUMENT',
      'Expected --listen HOST:PORT with --listen-public',
    );
  }
  // null (`--listen off`): no listener now, and none saved for later starts.
  let setting: ListenSetting | null | undefined;
  if (listen === 'off') setting = null;
  else if (listen !== undefined) setting = parseListenAddress(listen, isPublic);
  if (setting && !isLoopbackHost(setting.host)) {
    ctx.stderr.write(
      warningLine(
        `the API will listen on ${setting.host}, beyond this machine: anyone who can reach it and has the token controls every program (no TLS)`,
      ),
    );
  }
  const notifyFd = parseNotifyFd(ctx.env.TEND_NOTIFY_FD);
  // The programs the daemon spawns inherit its environment: the variable is for the daemon alone.
  if (ctx.env === process.env) delete process.env.TEND_NOTIFY_FD;
  try {
    const { runDaemon } = await loadDaemon(ctx.home);
    return await runDaemon({
      home: ctx.home,
      ...(notifyFd === undefined ? {} : { notifyFd }),
      ...(setting === undefined ? {} : { listen: setting }),
    });
  } catch (error) {
    // runDaemon reports its own failures; this covers a daemon module that cannot even be loaded.
    if (notifyFd !== undefined) {
      const message = error instanceof Error ? error.message : String(error);
      try {
        writeSync(notifyFd, `error ${message.replaceAll('\n', ' ')}\n`);
      } catch {
        // the starter is gone
      }
    }
    throw error;
  }
}

function parseNotifyFd(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}
