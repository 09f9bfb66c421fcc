import type { EventsQuery } from '../../api/client.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTarget } from '../option-values.js';
import { describeStreamMessage, formatEventLine } from '../output/event-line.js';
import { loadPalette } from '../output/palette.js';
import { stderrLine } from '../output/stderr-line.js';
import { hasFlag, numberOption, stringOption } from '../parse-args.js';

/** What `tend events` asks the daemon for, checked without a daemon. */
export function planEvents(args: ParsedArgs): EventsQuery {
  const target = parseTarget(args.positionals[0] ?? 'all');
  const query: EventsQuery = {};
  if (target !== 'all') query.program = target;
  const kind = stringOption(args, 'kind');
  if (kind !== undefined) query.kind = kind;
  const since = numberOption(args, 'since');
  if (since !== undefined) query.since = since;
  return query;
}

/** `tend events [name]`: prints the daemon's events as they happen, until interrupted. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const query = planEvents(args);
  const isJson = hasFlag(args, 'json');
  const palette = await loadPalette(ctx.isColor);
  const client = await ctx.client();
  let closedBecause: string | undefined;
  await client.events(query, (message) => {
    if (message.kind === 'stream.open') return;
    if (isJson) {
      ctx.stdout.write(`${JSON.stringify(message)}\n`);
    } else if (message.kind === 'stream.gap' || message.kind === 'stream.closed') {
      ctx.stderr.write(stderrLine(describeStreamMessage(message) ?? message.kind));
    } else {
      ctx.stdout.write(formatEventLine(message, palette));
    }
    if (message.kind === 'stream.closed') closedBecause = message.reason;
  });
  if (closedBecause === undefined)
    ctx.stderr.write(stderrLine('the daemon ended the event stream (it stopped)'));
  return 1;
}
