import type { EventStreamMessage, ReloadRequestBody } from '../../api/wire.js';
import { formatElapsed } from '../../config/human-units.js';
import { TendError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseProgramName } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { readStderrTail } from '../output/stderr-tail.js';
import { hasFlag, numberOption, repeatedOption, stringOption } from '../parse-args.js';

/** The events that tell a reload's steps. */
const RELOAD_KINDS = [
  'program.reload-started',
  'instance.replaced',
  'program.reload-finished',
  'program.reload-failed',
];

/** How long, after the daemon answered, the CLI waits for the last step's event to arrive on the stream. */
const LAST_EVENT_WAIT_MS = 2_000;

/**
 * `tend reload <name>`: applies --env/--command/--arg to the definition and replaces every
 * instance, rolling; prints each step as the daemon reports it, and fails (exit 1) with the
 * reason and the program's last stderr lines when a replacement did not become ready.
 */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const name = parseProgramName(args.positionals[0] as string);
  const body = requestOf(args);
  const isJson = hasFlag(args, 'json');
  const client = await ctx.client();
  const abort = new AbortController();
  let markOpen = () => {};
  const isOpen = new Promise<void>((resolve) => {
    markOpen = resolve;
  });
  let markEnded = () => {};
  const hasEnded = new Promise<void>((resolve) => {
    markEnded = resolve;
  });
  const onMessage = (message: EventStreamMessage) => {
    if (message.kind === 'stream.open') markOpen();
    const line = isJson ? undefined : describeStep(message);
    if (line !== undefined) ctx.stdout.write(`${line}\n`);
    if (message.kind === 'program.reload-finished' || message.kind === 'program.reload-failed')
      markEnded();
  };
  // A daemon that cannot stream means no progress lines, never a hang.
  const streaming = client
    .events({ program: name, kind: RELOAD_KINDS }, onMessage, abort.signal)
    .catch(() => {})
    .then(() => {
      markOpen();
      markEnded();
    });
  await isOpen;
  try {
    const reply = await client.reloadProgram(name, body);
    await Promise.race([hasEnded, delay(LAST_EVENT_WAIT_MS)]);
    if (isJson) writeJson(ctx.stdout, reply);
    else {
      const pids = reply.program.instances.map((instance) => instance.pid ?? '-').join(', ');
      ctx.stdout.write(
        `Reloaded ${name}: ${reply.replaced} instance${reply.replaced === 1 ? '' : 's'} replaced in ${formatElapsed(reply.durationMs)} (pid ${pids})\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof TendError && error.code === 'TEND_ERR_RELOAD_FAILED') {
      await Promise.race([hasEnded, delay(LAST_EVENT_WAIT_MS)]);
      throw new TendError('TEND_ERR_RELOAD_FAILED', await withStderrTail(error.message));
    }
    throw error;
  } finally {
    abort.abort();
    await streaming;
  }

  async function withStderrTail(message: string): Promise<string> {
    const tail = await readStderrTail(client, name).catch(() => []);
    if (tail.length === 0) return message;
    const lines = tail.map((line) => `  ${line.name}[${line.instance}] ${line.line}`);
    return [message, `last lines of ${name}'s stderr:`, ...lines].join('\n');
  }
}

function requestOf(args: ParsedArgs): ReloadRequestBody {
  const body: ReloadRequestBody = {};
  const pairs = repeatedOption(args, 'env');
  if (pairs.length > 0) {
    body.env = {};
    for (const pair of pairs) {
      const equals = pair.indexOf('=');
      body.env[pair.slice(0, equals)] = pair.slice(equals + 1);
    }
  }
  const command = stringOption(args, 'command');
  if (command !== undefined) body.command = command;
  const commandArgs = repeatedOption(args, 'arg');
  if (commandArgs.length > 0) body.args = commandArgs;
  const maxSurge = numberOption(args, 'max-surge');
  if (maxSurge !== undefined) body.maxSurge = maxSurge;
  const maxUnavailable = numberOption(args, 'max-unavailable');
  if (maxUnavailable !== undefined) body.maxUnavailable = maxUnavailable;
  const drainTimeoutMs = numberOption(args, 'drain-timeout');
  if (drainTimeoutMs !== undefined) body.drainTimeoutMs = drainTimeoutMs;
  return body;
}

/** One progress line for a reload event, or undefined for other messages. */
function describeStep(message: EventStreamMessage): string | undefined {
  switch (message.kind) {
    case 'program.reload-started': {
      const applies = message.changed.length > 0 ? `, applying ${message.changed.join(', ')}` : '';
      return `Reloading ${message.program}: ${message.instances} instance${message.instances === 1 ? '' : 's'}, max surge ${message.maxSurge}, max unavailable ${message.maxUnavailable}${applies}`;
    }
    case 'instance.replaced':
      return message.previousPid === null
        ? `  ${message.program}[${message.instance}] surge instance ready (pid ${message.pid})`
        : `  ${message.program}[${message.instance}] replaced: pid ${message.previousPid} → ${message.pid}`;
    default:
      return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
