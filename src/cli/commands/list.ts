import type { ParsedArgs } from '../command-types.js';
import type { CliContext } from '../context.js';
import { formatInstanceTable, instancesOf } from '../output/instance-table.js';
import { writeJson } from '../output/json.js';
import { loadPalette } from '../output/palette.js';
import { writeStartupProblems } from '../output/startup-problems.js';
import { formatTaskTable } from '../output/task-table.js';
import { formatWaitingNotes } from '../output/waiting-notes.js';
import { hasFlag } from '../parse-args.js';

/** `tend list`: one row per instance, after the daemon's start-up problems (a state file moved aside explains an empty list). */
export async function run(args: ParsedArgs, ctx: CliContext): Promise<number> {
  const client = await ctx.client();
  const isJson = hasFlag(args, 'json');
  // Both on one round trip's time: the health request costs no extra wait.
  const [programs, health] = await Promise.all([client.listPrograms(), client.health()]);
  const rows = instancesOf(programs);
  const palette = await loadPalette(!isJson && ctx.isColor);
  writeStartupProblems(ctx, health.problems, isJson, palette);
  if (isJson) {
    writeJson(ctx.stdout, rows);
  } else if (rows.length === 0) {
    ctx.stdout.write('No programs are managed; start one with `tend start <command>`\n');
  } else {
    const tasks = programs.flatMap((program) => program.tasks ?? []);
    ctx.stdout.write(
      formatInstanceTable(rows, palette) +
        formatWaitingNotes(programs, palette) +
        (tasks.length > 0 ? `\n${formatTaskTable(tasks, palette)}` : ''),
    );
  }
  return 0;
}
