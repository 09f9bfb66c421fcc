import { closestMatch } from '../config/closest-match.js';
import { UsageError } from '../errors.js';
import type { CommandSpec, OptionSpec, OptionValue, ParsedArgs } from './command-types.js';

/** The option every command takes. */
export const HELP_OPTION: OptionSpec = {
  long: 'help',
  short: 'h',
  kind: 'flag',
  description: 'show the help of this command',
};

/**
 * Parses a command's arguments by its table entry: `--opt value`, `--opt=value`, `-o value`,
 * `-ovalue`, grouped short flags (`-fh`), and `--` after which everything is positional.
 * A command with `isCommandTail` stops reading options at its first positional.
 * Values stay text here (readCommandArgs checks them); bad syntax throws a UsageError.
 */
export function parseCommandArgs(command: CommandSpec, argv: readonly string[]): ParsedArgs {
  const options = new Map<string, OptionValue>();
  const positionals: string[] = [];
  let hasDoubleDash = false;
  let isTail = false;
  const allOptions = [...command.options, HELP_OPTION];

  const takeValue = (
    option: OptionSpec,
    flag: string,
    inline: string | undefined,
    index: number,
  ) => {
    if (inline !== undefined) return { raw: inline, consumed: 0 };
    const next = argv[index + 1];
    if (next === undefined || (next.startsWith('--') && next.length > 2)) {
      throw new UsageError(
        'TEND_ERR_USAGE_MISSING_ARGUMENT',
        `Expected a value after ${flag} (${option.valueName ?? 'VALUE'})`,
      );
    }
    return { raw: next, consumed: 1 };
  };

  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] as string;
    if (isTail || hasDoubleDash) {
      positionals.push(token);
    } else if (token === '--') {
      hasDoubleDash = true;
    } else if (token.startsWith('--')) {
      const equals = token.indexOf('=');
      const name = token.slice(2, equals < 0 ? undefined : equals);
      const inline = equals < 0 ? undefined : token.slice(equals + 1);
      const option = allOptions.find((candidate) => candidate.long === name);
      if (!option) throw unknownOption(command, `--${name}`);
      const flag = `--${option.long}`;
      if (option.kind === 'flag') {
        if (inline !== undefined) {
          throw new UsageError(
            'TEND_ERR_USAGE_INVALID_ARGUMENT',
            `${flag} takes no value, got ${token}`,
          );
        }
        options.set(option.long, true);
      } else {
        const { raw, consumed } = takeValue(option, flag, inline, index);
        index += consumed;
        storeValue(options, option, raw);
      }
    } else if (token.startsWith('-') && token.length > 1 && !/^-\d+$/.test(token)) {
      // `-2` is a number (`tend scale web -2`), never an option: no short option is a digit.
      for (let at = 1; at < token.length; at++) {
        const letter = token[at] as string;
        const option = allOptions.find((candidate) => candidate.short === letter);
        if (!option) throw unknownOption(command, `-${letter}`);
        if (option.kind === 'flag') {
          options.set(option.long, true);
          continue;
        }
        const rest = token.slice(at + 1);
        const { raw, consumed } = takeValue(
          option,
          `-${letter}`,
          rest === '' ? undefined : rest,
          index,
        );
        index += consumed;
        storeValue(options, option, raw);
        break;
      }
    } else {
      positionals.push(token);
      if (command.isCommandTail) isTail = true;
    }
  }

  if (!options.has('help')) checkPositionalCount(command, positionals);
  return { command, positionals, options, hasDoubleDash };
}

function storeValue(options: Map<string, OptionValue>, option: OptionSpec, raw: string): void {
  if (option.kind === 'repeatable') {
    options.set(option.long, [...((options.get(option.long) ?? []) as string[]), raw]);
    return;
  }
  if (options.has(option.long)) {
    throw new UsageError(
      'TEND_ERR_USAGE_INVALID_ARGUMENT',
      `Expected --${option.long} once, got it twice`,
    );
  }
  options.set(option.long, raw);
}

/**
 * Parses a command's arguments and checks the option values (`--instances 2` becomes the
 * number 2, `--instances -1` a usage error). The checks are loaded only when an option that
 * needs one was given.
 */
export async function readCommandArgs(
  command: CommandSpec,
  argv: readonly string[],
): Promise<ParsedArgs> {
  const args = parseCommandArgs(command, argv);
  const isChecked = command.options.some((option) => option.check && args.options.has(option.long));
  if (!isChecked) return args;
  const { checkOptionValues } = await import('./option-values.js');
  return checkOptionValues(args);
}

function checkPositionalCount(command: CommandSpec, positionals: readonly string[]): void {
  const required = command.positionals.filter((positional) => positional.isRequired);
  const missing = required[positionals.length];
  if (missing) {
    throw new UsageError(
      'TEND_ERR_USAGE_MISSING_ARGUMENT',
      `Expected ${missing.name} after \`tend ${command.name}\` (usage: ${usageLine(command)})`,
    );
  }
  const isVariadic = command.positionals.some((positional) => positional.isVariadic);
  const extra = positionals[command.positionals.length];
  if (!isVariadic && extra !== undefined) {
    if (command.hintForArguments) {
      throw new UsageError(
        'TEND_ERR_USAGE',
        command.hintForArguments(positionals.slice(command.positionals.length)),
      );
    }
    throw new UsageError(
      'TEND_ERR_USAGE',
      `Unexpected argument ${JSON.stringify(extra)} (usage: ${usageLine(command)})`,
    );
  }
}

/** The usage forms of a command on one line, such as `tend stop <name|all> [--json]`. */
export function usageLine(command: CommandSpec): string {
  return command.usage
    .split('\n')
    .map((form) => `tend ${command.name} ${form}`.trimEnd())
    .join(' or ');
}

function unknownOption(command: CommandSpec, flag: string): UsageError {
  const names = [...command.options, HELP_OPTION].map((option) => `--${option.long}`);
  const guess = flag.startsWith('--') ? closestMatch(flag, names) : undefined;
  const hint = guess ? `did you mean ${guess}? ` : '';
  return new UsageError(
    'TEND_ERR_USAGE_UNKNOWN_OPTION',
    `Unknown option ${flag} for \`tend ${command.name}\`; ${hint}\`tend help ${command.name}\` lists its options`,
  );
}

/** Whether a flag was given. */
export function hasFlag(args: ParsedArgs, long: string): boolean {
  return args.options.get(long) === true;
}

/** The text value of an option, or undefined when it was not given. */
export function stringOption(args: ParsedArgs, long: string): string | undefined {
  const value = args.options.get(long);
  return typeof value === 'string' ? value : undefined;
}

/** The number value of an option, or undefined when it was not given. */
export function numberOption(args: ParsedArgs, long: string): number | undefined {
  const value = args.options.get(long);
  return typeof value === 'number' ? value : undefined;
}

/** The values of an option given as a list (`--no-restart-exit-codes 0,3`), or undefined. */
export function numberListOption(args: ParsedArgs, long: string): number[] | undefined {
  const value = args.options.get(long);
  return Array.isArray(value) ? (value as number[]) : undefined;
}

/** Every value of a repeatable option, in order (empty when not given). */
export function repeatedOption(args: ParsedArgs, long: string): string[] {
  const value = args.options.get(long);
  return Array.isArray(value) ? (value as string[]) : [];
}

export { closestMatch, editDistance } from '../config/closest-match.js';
