import { fstatSync, writeSync } from 'node:fs';
import { NOTIFY_FD_ENV_KEY } from '../../config/reserved-env.js';
import { TendError, UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { hasFlag, stringOption } from '../parse-args.js';

/** Longest `--status` text sent; the daemon keeps 200 characters, and a short line is written at once. */
const MAX_STATUS_SEND_CHARS = 1000;

/**
 * The lines `tend notify` writes, in sd_notify's words. A newline in the status text becomes a
 * space: it would otherwise start another assignment (`--status "x\nREADY=1"`).
 */
export function planNotify(args: ParsedArgs): string {
  const lines: string[] = [];
  const status = stringOption(args, 'status');
  if (status !== undefined) {
    lines.push(`STATUS=${status.replace(/[\r\n]+/g, ' ').slice(0, MAX_STATUS_SEND_CHARS)}`);
  }
  if (hasFlag(args, 'ready')) lines.push('READY=1');
  if (hasFlag(args, 'heartbeat')) lines.push('WATCHDOG=1');
  if (hasFlag(args, 'stopping')) lines.push('STOPPING=1');
  if (hasFlag(args, 'free') && hasFlag(args, 'allocated')) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      'Expected one of --free and --allocated, not both',
    );
  }
  if (hasFlag(args, 'free')) lines.push('TASK_STATE=free');
  if (hasFlag(args, 'allocated')) lines.push('TASK_STATE=allocated');
  if (hasFlag(args, 'shutdown')) lines.push('SHUTDOWN=1');
  if (lines.length === 0) {
    throw new UsageError(
      'TEND_ERR_USAGE_MISSING_ARGUMENT',
      'Expected at least one of --ready, --heartbeat, --status TEXT, --stopping, --free, --allocated or --shutdown',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The notify channel's descriptor from the environment; refuses to write anywhere else. */
export function notifyDescriptor(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env[NOTIFY_FD_ENV_KEY];
  if (raw === undefined || raw === '') {
    throw new UsageError(
      'TEND_ERR_NOTIFY_NO_CHANNEL',
      `${NOTIFY_FD_ENV_KEY} is not set: \`tend notify\` only works when run by tend as an instance of a program (or by a child of one); this process was not`,
    );
  }
  const fd = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  let isFifo = false;
  try {
    isFifo = Number.isSafeInteger(fd) && fstatSync(fd).isFIFO();
  } catch {
    isFifo = false;
  }
  if (!isFifo) {
    throw new UsageError(
      'TEND_ERR_NOTIFY_BAD_CHANNEL',
      `Expected ${NOTIFY_FD_ENV_KEY} to name the open notify channel tend gave this instance, got ${JSON.stringify(raw)}, which is not an open pipe here (was the descriptor closed, or the variable copied into another process?)`,
    );
  }
  return fd;
}

/** `tend notify --ready | --heartbeat | --status TEXT | --stopping | --free | --allocated | --shutdown`: tells tend about this instance. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const message = planNotify(args);
  const fd = notifyDescriptor(ctx.env);
  try {
    // One write under PIPE_BUF (4096 bytes) is atomic: lines from several writers never interleave.
    writeSync(fd, message);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TendError(
      'TEND_ERR_NOTIFY_NOT_READ',
      `Could not write to the notify channel (${code ?? String(error)}): no tend daemon reads it any more`,
      { cause: error },
    );
  }
  if (hasFlag(args, 'json'))
    ctx.stdout.write(`${JSON.stringify({ sent: message.trim().split('\n') })}\n`);
  return 0;
}
