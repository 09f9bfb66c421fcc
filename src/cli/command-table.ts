import type { CommandSpec, OptionSpec } from './command-types.js';
import {
  durationIn,
  integerIn,
  oneOf,
  parseEnvPair,
  parseExitCodes,
  parseProgramName,
  parseSignalArgument,
} from './option-values.js';

const DAY_MS = 24 * 3600 * 1000;

const JSON_OPTION: OptionSpec = {
  long: 'json',
  kind: 'flag',
  description: 'print JSON instead of a table',
};

const START_OPTIONS: readonly OptionSpec[] = [
  {
    long: 'name',
    kind: 'value',
    valueName: 'NAME',
    description: "the program's name",
    defaultText: "the command's base name",
    parse: parseProgramName,
  },
  {
    long: 'cwd',
    kind: 'value',
    valueName: 'DIR',
    description: 'working directory, made absolute',
    defaultText: 'the current directory',
  },
  {
    long: 'env',
    kind: 'repeatable',
    valueName: 'KEY=VALUE',
    description: 'set a variable on top of the current environment (repeat for more)',
    parse: parseEnvPair,
  },
  {
    long: 'restart',
    kind: 'value',
    valueName: 'POLICY',
    description: 'always, on-failure or never',
    programDefault: 'restart',
    parse: oneOf(['always', 'on-failure', 'never']),
  },
  {
    long: 'no-restart-exit-codes',
    kind: 'value',
    valueName: 'CODES',
    description: 'exit codes that mean "done, do not restart", such as 0,3',
    defaultText: 'none',
    parse: parseExitCodes,
  },
  {
    long: 'instances',
    short: 'i',
    kind: 'value',
    valueName: 'N',
    description: 'how many instances to run',
    programDefault: 'instances',
    parse: integerIn(1, Number.MAX_SAFE_INTEGER),
  },
  {
    long: 'port',
    kind: 'value',
    valueName: 'P',
    description: 'base port: instance i gets PORT=P+i',
    defaultText: 'no PORT',
    parse: integerIn(1, 65_535),
  },
  {
    long: 'stop-signal',
    kind: 'value',
    valueName: 'SIG',
    description: 'signal that asks the program to stop',
    programDefault: 'stopSignal',
    parse: parseSignalArgument,
  },
  {
    long: 'stop-timeout',
    kind: 'value',
    valueName: 'MS',
    description: 'how long to wait after the stop signal before SIGKILL',
    programDefault: 'stopTimeoutMs',
    parse: durationIn(1, DAY_MS),
  },
  {
    long: 'min-uptime',
    kind: 'value',
    valueName: 'MS',
    description: 'a run shorter than this counts as a crash loop (backoff)',
    programDefault: 'minUptimeMs',
    parse: durationIn(0, DAY_MS),
  },
  { long: 'shell', kind: 'flag', description: 'run the command through /bin/sh -c' },
  JSON_OPTION,
];

/** Every command, in the order help lists them. Modules are loaded only when their command runs. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'start',
    aliases: [],
    summary: 'start a new program, or start a stopped one again',
    usage: '[options] [--] <command> [args...]\n<name|all>',
    positionals: [
      { name: '<command>', isRequired: true, completes: 'program' },
      { name: '[args...]', isRequired: false, isVariadic: true },
    ],
    options: START_OPTIONS,
    isCommandTail: true,
    details: [
      'Options go before the command; everything after the command word is passed to it',
      'unchanged, options included (like `env` or `sudo`). `--` ends the options explicitly.',
      'With a single word and no option, `tend start NAME` starts the managed program NAME',
      'again when there is one (and `tend start all` starts every program); otherwise the word',
      'is run as a new program. The new program gets the current environment plus --env.',
    ].join('\n'),
    examples: [
      'tend start node server.js --port 3000',
      'tend start --name web --instances 2 --port 3000 -- node server.js',
      'tend start --env NODE_ENV=production --restart on-failure ./worker',
      'tend start web',
    ],
    load: () => import('./commands/start.js'),
  },
  {
    name: 'list',
    aliases: ['ls', 'ps'],
    summary: 'list every instance with its status, restarts, uptime, CPU and memory',
    usage: '[--json]',
    positionals: [],
    options: [JSON_OPTION],
    load: () => import('./commands/list.js'),
  },
  {
    name: 'status',
    aliases: ['describe', 'show'],
    summary: 'everything about a program: instances, health statistics, recent exits',
    usage: '[name|all] [--json]',
    positionals: [{ name: '[name|all]', isRequired: false, completes: 'program' }],
    options: [JSON_OPTION],
    details: 'Without a name, or with `all`, every program is shown.',
    load: () => import('./commands/status.js'),
  },
  {
    name: 'stop',
    aliases: [],
    summary: 'stop a program (it stays managed)',
    usage: '<name|all> [--json]',
    positionals: [{ name: '<name|all>', isRequired: true, completes: 'program' }],
    options: [JSON_OPTION],
    load: () => import('./commands/stop.js'),
  },
  {
    name: 'restart',
    aliases: [],
    summary: 'restart a program',
    usage: '<name|all> [--json]',
    positionals: [{ name: '<name|all>', isRequired: true, completes: 'program' }],
    options: [JSON_OPTION],
    load: () => import('./commands/restart.js'),
  },
  {
    name: 'delete',
    aliases: ['rm', 'unmanage'],
    summary: 'stop a program and forget it',
    usage: '<name|all> [--json]',
    positionals: [{ name: '<name|all>', isRequired: true, completes: 'program' }],
    options: [JSON_OPTION],
    load: () => import('./commands/delete.js'),
  },
  {
    name: 'signal',
    aliases: [],
    summary: 'send a signal to the instances of a program',
    usage: '<signal> <name[:instance]|all> [--group] [--json]',
    positionals: [
      { name: '<signal>', isRequired: true, completes: 'signal' },
      { name: '<name[:instance]|all>', isRequired: true, completes: 'program-instance' },
    ],
    options: [
      { long: 'group', short: 'g', kind: 'flag', description: 'signal the whole process group' },
      JSON_OPTION,
    ],
    details: 'The signal is a name (HUP, SIGHUP) or a number (1).',
    examples: ['tend signal HUP web', 'tend signal SIGUSR2 web:1', 'tend signal 15 worker --group'],
    load: () => import('./commands/signal.js'),
  },
  {
    name: 'logs',
    aliases: ['log'],
    summary: 'show the last lines of output, and follow new ones',
    usage: '[name|all] [--lines N] [--follow] [--err|--out] [--timestamps] [--json]',
    positionals: [{ name: '[name|all]', isRequired: false, completes: 'program' }],
    options: [
      {
        long: 'lines',
        short: 'n',
        kind: 'value',
        valueName: 'N',
        description: 'how many past lines to show',
        defaultText: '20',
        parse: integerIn(0, 100_000),
      },
      { long: 'follow', short: 'f', kind: 'flag', description: 'keep printing new lines' },
      { long: 'err', kind: 'flag', description: 'only standard error' },
      { long: 'out', kind: 'flag', description: 'only standard output' },
      {
        long: 'timestamps',
        short: 't',
        kind: 'flag',
        description: 'prefix each line with its time',
      },
      { long: 'json', kind: 'flag', description: 'print one JSON object per line (NDJSON)' },
    ],
    details: 'Lines are prefixed with name[instance] when more than one source is shown.',
    examples: ['tend logs web -f', 'tend logs --lines 100 --err', 'tend logs worker -n 0 -f -t'],
    load: () => import('./commands/logs.js'),
  },
  {
    name: 'daemon',
    aliases: [],
    summary: 'run the daemon in the foreground; `daemon stop|status|start` control it',
    usage: '[stop|status|start] [--json]',
    positionals: [
      { name: '[stop|status|start]', isRequired: false, completes: ['stop', 'status', 'start'] },
    ],
    options: [JSON_OPTION],
    details: [
      '`tend daemon` runs the daemon in the foreground (for systemd or a container) until SIGTERM.',
      '`tend daemon start` starts it in the background if none answers (any command does that).',
      '`tend daemon stop` stops every program and the daemon, and waits until it has exited.',
      '`tend daemon status` shows its pid, version, home and start-up problems.',
    ].join('\n'),
    load: () => import('./commands/daemon.js'),
  },
  {
    name: 'kill',
    aliases: [],
    summary: 'stop every program and the daemon (same as `tend daemon stop`)',
    usage: '',
    positionals: [],
    options: [],
    load: () => import('./commands/kill.js'),
  },
  {
    name: 'shell',
    aliases: [],
    summary: 'an interactive prompt that takes the same commands',
    usage: '',
    positionals: [],
    options: [],
    details:
      'History is kept in $TEND_HOME/shell_history; Tab completes commands and program names; `exit` or Ctrl-D quits.',
    isOffline: true,
    load: () => import('./commands/shell.js'),
  },
  {
    name: 'help',
    aliases: [],
    summary: 'show help for tend or for one command',
    usage: '[command]',
    positionals: [{ name: '[command]', isRequired: false, completes: 'command' }],
    options: [],
    isOffline: true,
    load: () => import('./commands/help.js'),
  },
  {
    name: 'completion',
    aliases: [],
    summary: 'print a shell completion script',
    usage: '<bash|zsh>',
    positionals: [{ name: '<bash|zsh>', isRequired: true, completes: ['bash', 'zsh'] }],
    options: [],
    examples: ['tend completion bash >> ~/.bashrc', 'source <(tend completion zsh)'],
    isOffline: true,
    load: () => import('./commands/completion.js'),
  },
  {
    name: '__complete',
    aliases: [],
    summary: 'print completions for the words typed so far (used by the completion scripts)',
    usage: '[words...]',
    positionals: [{ name: '[words...]', isRequired: false, isVariadic: true }],
    options: [],
    isCommandTail: true,
    isHidden: true,
    load: () => import('./commands/complete.js'),
  },
];

/** The command a word names (its name or an alias), or undefined. */
export function findCommand(word: string): CommandSpec | undefined {
  return COMMANDS.find((command) => command.name === word || command.aliases.includes(word));
}

/** Every word that names a visible command, aliases included. */
export function commandWords(): string[] {
  return COMMANDS.filter((command) => !command.isHidden).flatMap((command) => [
    command.name,
    ...command.aliases,
  ]);
}
