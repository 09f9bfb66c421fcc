import type { CommandSpec, OptionSpec } from '../command-types.js';
import { HELP_OPTION } from '../parse-args.js';
import type { Palette } from './palette.js';
import { formatTable } from './table.js';

/** Program defaults by key, as help shows them next to the options that override them. */
export type DefaultsByKey = Readonly<Record<string, unknown>>;

/** `tend help`: what tend is and every visible command. */
export function formatOverview(commands: readonly CommandSpec[], palette: Palette): string {
  const rows = commands
    .filter((command) => !command.isHidden)
    .map((command) => [[command.name, ...command.aliases].join(', '), command.summary]);
  return [
    `${palette.bold('tend')}: keeps programs running, restarts them when they fail, keeps their output.`,
    '',
    `${palette.bold('Usage:')} tend <command> [options] [arguments]`,
    '',
    palette.bold('Commands:'),
    formatTable([{ header: '' }, { header: '' }], rows, {
      indent: 2,
      isHeaderless: true,
    }).trimEnd(),
    '',
    '`tend help <command>` shows the options of a command. `tend --version` prints the version.',
    'Environment: TEND_HOME (default ~/.tend), NO_COLOR. Exit codes: 0 success, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}

/** `tend help <command>`: usage, options with their defaults, details and examples. */
export function formatCommandHelp(
  command: CommandSpec,
  defaults: DefaultsByKey,
  palette: Palette,
): string {
  const forms = command.usage.split('\n').map((form) => `tend ${command.name} ${form}`.trimEnd());
  const lines = [
    `${palette.bold('Usage:')} ${forms[0]}`,
    ...forms.slice(1).map((form) => `       ${form}`),
    '',
    `${command.summary[0]?.toUpperCase() ?? ''}${command.summary.slice(1)}.`,
  ];
  if (command.aliases.length > 0) lines.push(`Aliases: ${command.aliases.join(', ')}`);
  if (command.details) lines.push('', command.details);
  const options = [...command.options, HELP_OPTION];
  const rows = options.map((option) => [optionLabel(option), describeOption(option, defaults)]);
  lines.push(
    '',
    palette.bold('Options:'),
    formatTable([{ header: '' }, { header: '' }], rows, {
      indent: 2,
      isHeaderless: true,
    }).trimEnd(),
  );
  if (command.examples && command.examples.length > 0) {
    lines.push('', palette.bold('Examples:'), ...command.examples.map((example) => `  ${example}`));
  }
  lines.push('');
  return lines.join('\n');
}

function optionLabel(option: OptionSpec): string {
  const long = `--${option.long}${option.kind === 'flag' ? '' : ` ${option.valueName ?? 'VALUE'}`}`;
  return option.short ? `-${option.short}, ${long}` : `    ${long}`;
}

function describeOption(option: OptionSpec, defaults: DefaultsByKey): string {
  const fromProgram =
    option.programDefault === undefined ? undefined : defaults[option.programDefault];
  const defaultText = fromProgram === undefined ? option.defaultText : String(fromProgram);
  return defaultText === undefined
    ? option.description
    : `${option.description} (default: ${defaultText})`;
}
