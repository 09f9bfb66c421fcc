import type { PROGRAM_DEFAULTS } from '../config/program-spec.js';
import type { CliContext } from './context.js';

/** A parsed option value: a flag, one value, or the values of a repeatable option. */
export type OptionValue = boolean | string | number | string[] | number[];

/** How an option takes its value. */
export type OptionKind = 'flag' | 'value' | 'repeatable';

/** One option of a command, as the parser, help and completion see it. */
export interface OptionSpec {
  /** The long name without dashes, such as `lines`. */
  long: string;
  /** A one-letter alias without the dash, such as `n`. */
  short?: string;
  kind: OptionKind;
  /** What the value is called in help, such as `N` or `MS`. */
  valueName?: string;
  description: string;
  /** The default, as help shows it. */
  defaultText?: string;
  /** The program default this option overrides; help reads it from PROGRAM_DEFAULTS. */
  programDefault?: keyof typeof PROGRAM_DEFAULTS;
  /** How the text is checked and turned into the value; the text itself when left out. */
  check?: OptionCheck;
}

/**
 * How an option's text is checked, as data: the checks themselves (option-values.ts) are
 * loaded only when such an option is given, so `tend ls` does not pay for them.
 */
export type OptionCheck =
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'duration'; minMs: number; maxMs: number }
  | { kind: 'byte-size'; minBytes: number }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'exit-codes' }
  | { kind: 'signal' }
  | { kind: 'env-pair' }
  | { kind: 'program-name' }
  | { kind: 'probe'; allowsNone: boolean };

/** One positional argument, as help shows it. */
export interface PositionalSpec {
  name: string;
  isRequired: boolean;
  /** Takes every remaining argument. */
  isVariadic?: boolean;
  /** What completion offers for it. */
  completes?: 'program' | 'program-instance' | 'command' | 'signal' | readonly string[];
}

/** What a command module exports: run, returning the exit code (never calling process.exit). */
export interface CommandModule {
  run(args: ParsedArgs, ctx: CliContext): Promise<number>;
}

/** One command of the table: everything needed to parse, help and complete it without loading it. */
export interface CommandSpec {
  name: string;
  aliases: readonly string[];
  summary: string;
  /** The arguments part of the usage line, such as `<name|all>`; one line per form. */
  usage: string;
  positionals: readonly PositionalSpec[];
  options: readonly OptionSpec[];
  /** Everything after the first positional belongs to it, options included (like `env` or `sudo`). */
  isCommandTail?: boolean;
  /** Longer help text shown by `tend help <command>`. */
  details?: string;
  examples?: readonly string[];
  isHidden?: boolean;
  /** What to say instead of "Unexpected argument" when arguments are given that the command does not take (a likely mix-up with another command). */
  hintForArguments?: (words: readonly string[]) => string;
  /** Never talks to the daemon (help, completion scripts), so the API client is not preloaded. */
  isOffline?: boolean;
  load(): Promise<CommandModule>;
}

/** The result of parsing one command's arguments. */
export interface ParsedArgs {
  command: CommandSpec;
  positionals: string[];
  /** Values by long option name; an option that was not given is absent. */
  options: ReadonlyMap<string, OptionValue>;
  /** Whether `--` was given. */
  hasDoubleDash: boolean;
}
