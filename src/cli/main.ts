import { type ErrorCode, isErrorCode, TendError, UsageError } from '../errors.js';
import { commandWords, findCommand } from './command-table.js';
import type { CliContext } from './context.js';
import { type CliContextOptions, createCliContext } from './create-context.js';
import { createFdOutput } from './fd-output.js';
import { stderrLine } from './output/stderr-line.js';
import { closestMatch, hasFlag, readCommandArgs } from './parse-args.js';

/** Exit code of a command interrupted by Ctrl-C, as a shell reports SIGINT. */
export const INTERRUPTED_EXIT_CODE = 130;

/** Runs one tend command line (without the `tend` word) and resolves to its exit code; never throws, never exits. */
export async function main(
  argv: readonly string[],
  options: CliContextOptions = {},
): Promise<number> {
  return runCommandLine(argv, createCliContext(options));
}

/** Runs one command line in a given context (the shell calls this once per line). */
export async function runCommandLine(argv: readonly string[], ctx: CliContext): Promise<number> {
  // Until the arguments are parsed, a `--json` before any `--` asks for JSON errors too.
  let isJson = asksForJson(argv);
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h') {
      const { showOverview } = await import('./commands/help.js');
      return showOverview(ctx);
    }
    if (first === '--version' || first === '-v' || first === '-V') {
      const { TEND_VERSION } = await import('../version.js');
      ctx.stdout.write(`${TEND_VERSION}\n`);
      return 0;
    }
    const command = findCommand(first);
    if (!command) throw unknownCommand(first);
    const args = await readCommandArgs(command, rest);
    isJson = hasFlag(args, 'json');
    if (hasFlag(args, 'help')) {
      const { showCommandHelp } = await import('./commands/help.js');
      return await showCommandHelp(ctx, command);
    }
    // The client's modules load alongside the command's, not after them: start-up time matters.
    const [module] = await Promise.all([
      command.load(),
      command.isOffline ? undefined : import('../api/client.js'),
    ]);
    return await module.run(args, ctx);
  } catch (error) {
    return reportError(error, ctx, isJson);
  }
}

/** Whether a command line asks for JSON before any `--` (what follows `--` belongs to the program). */
function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Prints an error as `tend: <message>`, or with `isJson` as the API's error body on one line
 * (`{"error":{"code","message"}}`), and returns its exit code; a stack only with TEND_DEBUG set.
 */
export function reportError(error: unknown, ctx: CliContext, isJson = false): number {
  if (error instanceof Error && error.name === 'AbortError') return INTERRUPTED_EXIT_CODE;
  const tendError =
    error instanceof TendError
      ? error
      : isForeignTendError(error)
        ? new TendError(error.code, error.message, { cause: error.cause })
        : new TendError(
            'TEND_ERR_INTERNAL',
            `internal error: ${error instanceof Error ? error.message : String(error)} (please report it; TEND_DEBUG=1 shows more)`,
            { cause: error },
          );
  ctx.stderr.write(
    isJson ? `${JSON.stringify(tendError.toWire())}\n` : stderrLine(tendError.message),
  );
  const cause = error instanceof TendError ? error.cause : error;
  if (ctx.env.TEND_DEBUG && cause instanceof Error) ctx.stderr.write(`${cause.stack}\n`);
  return tendError.exitCode;
}

/**
 * A TendError thrown by a module the CLI loads from dist/src at run time (scripts/bundle-cli.ts):
 * that module has its own copy of the class, so `instanceof` fails, but its code is the registry's.
 */
function isForeignTendError(error: unknown): error is Error & { code: ErrorCode } {
  return error instanceof Error && isErrorCode((error as { code?: unknown }).code);
}

function unknownCommand(word: string): UsageError {
  if (word.startsWith('-')) {
    return new UsageError(
      'TEND_ERR_USAGE_UNKNOWN_OPTION',
      `Unknown option ${word}; options go after the command, and \`tend help\` lists the commands`,
    );
  }
  const guess = closestMatch(word, commandWords());
  return new UsageError(
    'TEND_ERR_USAGE_UNKNOWN_COMMAND',
    `Unknown command ${JSON.stringify(word)}; ${guess ? `did you mean \`tend ${guess}\`? ` : ''}\`tend help\` lists the commands`,
  );
}

/** The entry of bin/tend.js: `main` on the real process, writing to its file descriptors. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [stdout, stderr] = await Promise.all([createFdOutput(1), createFdOutput(2)]);
  return main(argv, { stdout, stderr });
}
