import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { parseProgramName } from '../option-values.js';
import { writeJson } from '../output/json.js';
import { hasFlag, numberOption, stringOption } from '../parse-args.js';

/** `tend allocate <name>`: leases a free ready instance and prints where to reach it. */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const name = parseProgramName(args.positionals[0] as string);
  const holder = stringOption(args, 'holder');
  const ttlMs = numberOption(args, 'ttl');
  const timeoutMs = numberOption(args, 'timeout');
  const reply = await (await ctx.client()).allocate(name, {
    ...(holder === undefined ? {} : { holder }),
    ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  if (hasFlag(args, 'json')) {
    writeJson(ctx.stdout, reply);
    return 0;
  }
  const where = reply.port === null ? 'no port' : `${reply.host}:${reply.port}`;
  const until =
    reply.lease.expiresAt === null ? 'until released' : `until ${reply.lease.expiresAt}`;
  ctx.stdout.write(
    `${reply.program}:${reply.instance} ${where} lease ${reply.lease.id} (${until}; tend release ${reply.program} ${reply.lease.id})\n`,
  );
  return 0;
}
