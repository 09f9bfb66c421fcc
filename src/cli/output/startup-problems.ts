import type { CliContext } from '../context.js';
import type { Palette } from './palette.js';
import { stderrLine } from './stderr-line.js';

/**
 * Writes the daemon's start-up problems (such as a corrupt state file moved aside), which may
 * explain a missing program, before a listing; with --json they go to stderr, keeping stdout JSON.
 */
export function writeStartupProblems(
  ctx: CliContext,
  problems: readonly string[],
  isJson: boolean,
  palette: Palette,
): void {
  if (problems.length === 0) return;
  if (isJson) {
    for (const problem of problems)
      ctx.stderr.write(stderrLine(`the daemon reported at start-up: ${problem}`));
    return;
  }
  for (const problem of problems) ctx.stdout.write(`${palette.yellow('daemon:')} ${problem}\n`);
  ctx.stdout.write(
    'These were found when the daemon started; `tend daemon status` (or GET /v1/health, `problems`) shows them again.\n\n',
  );
}

/** Writes what the daemon cannot do now (a full disk), before a listing; with --json to stderr. */
export function writeFaults(
  ctx: CliContext,
  faults: readonly string[],
  isJson: boolean,
  palette: Palette,
): void {
  for (const fault of faults) {
    if (isJson) ctx.stderr.write(stderrLine(`the daemon reports now: ${fault}`));
    else ctx.stdout.write(`${palette.red('daemon now:')} ${fault}\n`);
  }
  if (faults.length > 0 && !isJson) ctx.stdout.write('\n');
}
