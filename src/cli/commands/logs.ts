import type { LogsQuery } from '../../api/client.js';
import type { LogLine } from '../../api/wire.js';
import { UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseTarget } from '../option-values.js';
import { formatTime } from '../output/format.js';
import { colorOfName, loadPalette, type Palette } from '../output/palette.js';
import { stderrLine } from '../output/stderr-line.js';
import { hasFlag, numberOption } from '../parse-args.js';

/** How many past lines `tend logs` shows by default. */
export const DEFAULT_LOG_LINES = 20;

/** What `tend logs` asks the daemon for. */
export interface LogsPlan {
  /** A program name, or `all`. */
  target: string;
  query: LogsQuery;
}

/** Validates the arguments of `tend logs` without a daemon. */
export function planLogs(args: ParsedArgs): LogsPlan {
  const target = parseTarget(args.positionals[0] ?? 'all');
  const isErr = hasFlag(args, 'err');
  const isOut = hasFlag(args, 'out');
  if (isErr && isOut) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      'Expected --err or --out, not both: give neither to see both streams merged',
    );
  }
  const query: LogsQuery = {
    lines: numberOption(args, 'lines') ?? DEFAULT_LOG_LINES,
    stream: isErr ? 'err' : isOut ? 'out' : 'both',
    isFollowing: hasFlag(args, 'follow'),
  };
  if (target !== 'all') query.name = target;
  return { target, query };
}

/** How one log line is printed. */
export interface LogLineStyle {
  isPrefixed: boolean;
  hasTimestamps: boolean;
  palette: Palette;
}

/** One line as `tend logs` prints it: `name[instance] | ` when several sources are shown, stderr in red on a TTY. */
export function formatLogLine(line: LogLine, style: LogLineStyle): string {
  const { palette } = style;
  const prefix = style.isPrefixed
    ? `${colorOfName(palette, line.name)(`${line.name}[${line.instance}]`)} | `
    : '';
  const time = style.hasTimestamps ? `${palette.dim(formatTime(line.time))} ` : '';
  const text = line.stream === 'err' ? palette.red(line.line) : line.line;
  return `${prefix}${time}${text}\n`;
}

/** `tend logs [name|all]`: the last lines, then (with --follow) new ones until interrupted. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const plan = planLogs(args);
  const client = await ctx.client();
  const isJson = hasFlag(args, 'json');
  let isPrefixed = plan.target === 'all';
  if (!isPrefixed && !isJson) {
    // A deleted program may still have logs, so an unknown name is left for the logs route to judge.
    const program = await client.findProgram(plan.target);
    isPrefixed = program !== undefined && program.instances.length > 1;
  }
  const style: LogLineStyle = {
    isPrefixed,
    hasTimestamps: hasFlag(args, 'timestamps'),
    palette: await loadPalette(ctx.isColor),
  };
  let count = 0;
  await client.streamLogs(plan.query, (line) => {
    count++;
    ctx.stdout.write(isJson ? `${JSON.stringify(line)}\n` : formatLogLine(line, style));
  });
  if (count === 0 && !isJson && !plan.query.isFollowing && plan.query.lines > 0) {
    ctx.stderr.write(stderrLine(noOutputYet(plan)));
  }
  if (plan.query.isFollowing) {
    ctx.stderr.write(
      stderrLine(
        'the daemon ended the log stream (it stopped, or this reader fell too far behind)',
      ),
    );
    return 1;
  }
  return 0;
}

/** What an empty `tend logs` says instead of nothing, which reads as if the command failed. */
export function noOutputYet(plan: LogsPlan): string {
  const isAll = plan.target === 'all';
  const where = { err: ' on standard error', out: ' on standard output', both: '' }[
    plan.query.stream
  ];
  if (isAll) return `no program has written anything${where} yet`;
  return `\`${plan.target}\` has written nothing${where} yet (\`tend logs ${plan.target} -f\` waits for it)`;
}
