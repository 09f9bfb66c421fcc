import { commandWords, findCommand } from './command-table.js';
import { HELP_OPTION } from './parse-args.js';

/** Signals offered by completion (any other name or number is accepted too). */
const COMMON_SIGNALS = [
  'HUP',
  'INT',
  'QUIT',
  'TERM',
  'KILL',
  'USR1',
  'USR2',
  'CONT',
  'STOP',
  'WINCH',
];

/** Values offered after options that take one from a closed set. */
const OPTION_VALUES: Readonly<Record<string, readonly string[]>> = {
  restart: ['always', 'on-failure', 'never'],
  'stop-signal': COMMON_SIGNALS.map((signal) => `SIG${signal}`),
};

/**
 * The completions of the last word, given every word typed after `tend` (the last one being
 * the word under the cursor, possibly empty). Program names are asked for only when needed.
 */
export async function completeWords(
  words: readonly string[],
  programNames: () => Promise<string[]>,
): Promise<string[]> {
  const current = words.at(-1) ?? '';
  const matching = (candidates: readonly string[]) =>
    [...new Set(candidates)].filter((word) => word.startsWith(current));
  if (words.length <= 1) return matching(commandWords());
  const command = findCommand(words[0] as string);
  if (!command) return [];
  const options = [...command.options, HELP_OPTION];
  const before = words.slice(1, -1);
  const previous = before.at(-1);
  const previousOption = previous?.startsWith('--')
    ? options.find((option) => `--${option.long}` === previous)
    : options.find((option) => option.short !== undefined && `-${option.short}` === previous);
  if (previousOption && previousOption.kind !== 'flag')
    return matching(OPTION_VALUES[previousOption.long] ?? []);

  let positionalCount = 0;
  let isAfterDoubleDash = false;
  for (let index = 0; index < before.length; index++) {
    const word = before[index] as string;
    if (isAfterDoubleDash || !word.startsWith('-') || word === '-') positionalCount++;
    else if (word === '--') isAfterDoubleDash = true;
    else if (!word.includes('=')) {
      const option = options.find(
        (candidate) => `--${candidate.long}` === word || `-${candidate.short}` === word,
      );
      if (option && option.kind !== 'flag') index++;
    }
  }
  if (command.isCommandTail && positionalCount > 0) return [];
  if (current.startsWith('-') && !isAfterDoubleDash) {
    return matching(options.map((option) => `--${option.long}`));
  }
  const positional = command.positionals[Math.min(positionalCount, command.positionals.length - 1)];
  const completes =
    positional && (positionalCount < command.positionals.length || positional.isVariadic)
      ? positional.completes
      : undefined;
  if (completes === undefined) return [];
  if (Array.isArray(completes)) return matching(completes);
  switch (completes) {
    case 'command':
      return matching(commandWords());
    case 'signal':
      return matching(COMMON_SIGNALS);
    default: {
      // A further name of a command that takes several: neither `all` nor a name given already.
      if (positionalCount > 0 && positional?.isVariadic) {
        const given = new Set(before);
        return matching((await programNames()).filter((name) => !given.has(name)));
      }
      return matching([...(await programNames()), 'all']);
    }
  }
}
