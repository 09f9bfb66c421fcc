import {
  BALANCE_STRATEGIES,
  PROXY_DEFAULTS,
  PROXY_LIMITS,
  PROXY_MODES,
} from '../config/proxy-defaults.js';
import type { CommandSpec, OptionSpec } from './command-types.js';
import { PROBE_OPTIONS } from './probe-option-table.js';

const DAY_MS = 24 * 3600 * 1000;

const JSON_OPTION: OptionSpec = {
  long: 'json',
  kind: 'flag',
  description: 'print JSON instead of a table',
};

const NO_WAIT_OPTION: OptionSpec = {
  long: 'no-wait',
  kind: 'flag',
  description:
    'return once spawned, without waiting for each new process to be ready, run --min-uptime, or exit',
};

const START_OPTIONS: readonly OptionSpec[] = [
  NO_WAIT_OPTION,
  {
    long: 'name',
    kind: 'value',
    valueName: 'NAME',
    description: "the program's name",
    defaultText: "the command's base name",
    check: { kind: 'program-name' },
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
    check: { kind: 'env-pair' },
  },
  {
    long: 'restart',
    kind: 'value',
    valueName: 'POLICY',
    description: 'always, on-failure or never',
    programDefault: 'restart',
    check: { kind: 'choice', choices: ['always', 'on-failure', 'never'] },
  },
  {
    long: 'no-restart-exit-codes',
    kind: 'value',
    valueName: 'CODES',
    description: 'exit codes that mean "done, do not restart", such as 0,3',
    defaultText: 'none',
    check: { kind: 'exit-codes' },
  },
  {
    long: 'instances',
    short: 'i',
    kind: 'value',
    valueName: 'N',
    description: 'how many instances to run',
    programDefault: 'instances',
    check: { kind: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER },
  },
  {
    long: 'port',
    kind: 'value',
    valueName: 'P',
    description: 'base port: instance i gets PORT=P+i',
    defaultText: 'no PORT',
    check: { kind: 'integer', min: 1, max: 65_535 },
  },
  {
    long: 'stop-signal',
    kind: 'value',
    valueName: 'SIG',
    description: 'signal that asks the program to stop',
    programDefault: 'stopSignal',
    check: { kind: 'signal' },
  },
  {
    long: 'stop-timeout',
    kind: 'value',
    valueName: 'MS',
    description: 'how long to wait after the stop signal before SIGKILL',
    programDefault: 'stopTimeoutMs',
    check: { kind: 'duration', minMs: 1, maxMs: DAY_MS },
  },
  {
    long: 'min-uptime',
    kind: 'value',
    valueName: 'MS',
    description: 'a run shorter than this counts as a crash loop (backoff)',
    programDefault: 'minUptimeMs',
    check: { kind: 'duration', minMs: 0, maxMs: DAY_MS },
  },
  {
    long: 'start-timeout',
    kind: 'value',
    valueName: 'MS',
    description: 'how long an instance with a port may take to listen before it is stopped',
    programDefault: 'startTimeoutMs',
    check: { kind: 'duration', minMs: 1, maxMs: DAY_MS },
  },
  {
    long: 'max-restarts',
    kind: 'value',
    valueName: 'N',
    description: 'young deaths allowed within --restart-window before the instance is errored',
    programDefault: 'maxRestarts',
    check: { kind: 'integer', min: 1, max: 100_000 },
  },
  {
    long: 'restart-window',
    kind: 'value',
    valueName: 'MS',
    description: 'the window --max-restarts counts in (backoff pauses not counted)',
    programDefault: 'restartWindowMs',
    check: { kind: 'duration', minMs: 1, maxMs: DAY_MS },
  },
  { long: 'shell', kind: 'flag', description: 'run the command through /bin/sh -c' },
  {
    long: 'min',
    kind: 'value',
    valueName: 'N',
    description: 'smallest size `tend scale` may shrink the pool to',
    defaultText: 'the number of instances',
    check: { kind: 'integer', min: 1, max: 1024 },
  },
  {
    long: 'max',
    kind: 'value',
    valueName: 'N',
    description: 'largest size `tend scale` may grow the pool to',
    defaultText: 'the number of instances',
    check: { kind: 'integer', min: 1, max: 1024 },
  },
  ...PROBE_OPTIONS,
  {
    long: 'proxy-port',
    kind: 'value',
    valueName: 'P',
    description: 'put a failover load balancer on port P in front of the instances (needs --port)',
    defaultText: 'no proxy',
    check: { kind: 'integer', min: 1, max: 65_535 },
  },
  {
    long: 'proxy-host',
    kind: 'value',
    valueName: 'HOST',
    description: 'address the proxy listens on',
    defaultText: PROXY_DEFAULTS.host,
  },
  {
    long: 'proxy-mode',
    kind: 'value',
    valueName: 'MODE',
    description: 'http: balance and retry requests; tcp: balance connections',
    defaultText: PROXY_DEFAULTS.mode,
    check: { kind: 'choice', choices: PROXY_MODES },
  },
  {
    long: 'balance',
    kind: 'value',
    valueName: 'STRATEGY',
    description: BALANCE_STRATEGIES.join(' or '),
    defaultText: PROXY_DEFAULTS.balance,
    check: { kind: 'choice', choices: BALANCE_STRATEGIES },
  },
  {
    long: 'proxy-wait',
    kind: 'value',
    valueName: 'MS',
    description: 'how long a request waits for a ready instance before a 503',
    defaultText: `${PROXY_DEFAULTS.waitForReadyMs / 1000}s`,
    check: { kind: 'duration', minMs: 0, maxMs: PROXY_LIMITS.waitForReadyMsMax },
  },
  JSON_OPTION,
];

const SEVERAL_NAMES_DETAILS = [
  'Takes one or more program names, or `all`. Every name is checked first: when one is not',
  'managed, the command fails naming it and no program is touched.',
].join('\n');

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
    name: 'scale',
    aliases: [],
    summary: "grow or shrink a program's pool within its --min and --max",
    usage: '<name> <N|+N|-N> [--json]',
    positionals: [
      { name: '<name>', isRequired: true, completes: 'program' },
      { name: '<N|+N|-N>', isRequired: true },
    ],
    options: [JSON_OPTION],
    details: [
      'N sets the size; +N and -N change it. A size past --min or --max is refused and nothing',
      'changes. New instances get the next indexes (and ports); shrinking stops the highest',
      'indexes first, gracefully (stop signal, then SIGKILL after the stop timeout).',
    ].join('\n'),
    examples: ['tend scale web 5', 'tend scale web +1', 'tend scale web -2'],
    load: () => import('./commands/scale.js'),
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
    summary: 'stop programs (they stay managed)',
    usage: '<name...|all> [--json]',
    positionals: [
      { name: '<name...|all>', isRequired: true, isVariadic: true, completes: 'program' },
    ],
    options: [JSON_OPTION],
    details: SEVERAL_NAMES_DETAILS,
    load: () => import('./commands/stop.js'),
  },
  {
    name: 'restart',
    aliases: [],
    summary: 'restart programs',
    usage: '<name...|all> [--no-wait] [--json]',
    positionals: [
      { name: '<name...|all>', isRequired: true, isVariadic: true, completes: 'program' },
    ],
    options: [NO_WAIT_OPTION, JSON_OPTION],
    details: SEVERAL_NAMES_DETAILS,
    load: () => import('./commands/restart.js'),
  },
  {
    name: 'delete',
    aliases: ['rm', 'unmanage'],
    summary: 'stop programs and forget them',
    usage: '<name...|all> [--json]',
    positionals: [
      { name: '<name...|all>', isRequired: true, isVariadic: true, completes: 'program' },
    ],
    options: [JSON_OPTION],
    details: SEVERAL_NAMES_DETAILS,
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
    name: 'events',
    aliases: [],
    summary: "print the daemon's events (starts, exits, restarts…) as they happen",
    usage: '[name|all] [--kind K] [--since N] [--json]',
    positionals: [{ name: '[name|all]', isRequired: false, completes: 'program' }],
    options: [
      {
        long: 'kind',
        kind: 'value',
        valueName: 'K',
        description: 'only these kinds, comma-separated; a prefix such as instance.* takes a group',
        defaultText: 'every kind',
      },
      {
        long: 'since',
        kind: 'value',
        valueName: 'N',
        description: 'first replay the kept events after sequence number N (0: all kept)',
        defaultText: 'only new events',
        check: { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
      },
      { long: 'json', kind: 'flag', description: 'print each event as one JSON object per line' },
    ],
    details: [
      'One line per event: the time, program:instance, what happened, the exit code or signal',
      'name, and the reason. Runs until interrupted. Kinds: daemon.started, daemon.stopping,',
      'program.added, program.updated, program.removed, program.desired, program.scaled,',
      'instance.state, instance.spawned, instance.ready, instance.exited, instance.restarted,',
      'instance.errored, proxy.membership. The daemon keeps the last 4096 events for --since.',
    ].join('\n'),
    examples: [
      'tend events',
      'tend events web --kind instance.exited,instance.restarted',
      'tend events --json --since 0',
    ],
    load: () => import('./commands/events.js'),
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
        description: 'how many past lines of each instance to show',
        defaultText: '20',
        check: { kind: 'integer', min: 0, max: 100_000 },
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
    summary: 'run the daemon in the foreground; `daemon stop|status|start|reload` control it',
    usage: '[--listen HOST:PORT [--listen-public]]\n[stop|status|start|reload] [--json]',
    positionals: [
      {
        name: '[stop|status|start|reload]',
        isRequired: false,
        completes: ['stop', 'status', 'start', 'reload'],
      },
    ],
    options: [
      {
        long: 'listen',
        kind: 'value',
        valueName: 'HOST:PORT',
        description:
          'also serve the API and the dashboard on TCP with a token; saved (`off` clears it)',
        defaultText: 'the saved address, else none',
      },
      {
        long: 'listen-public',
        kind: 'flag',
        description: 'allow --listen on an address other than loopback (prints a warning)',
      },
      JSON_OPTION,
    ],
    details: [
      '`tend daemon` runs the daemon in the foreground (for systemd or a container) until SIGTERM.',
      'With --listen it also serves the API and the dashboard on TCP; every request needs the',
      'token in $TEND_HOME/token. The address is saved and used again at every start.',
      '`tend daemon start` starts it in the background if none answers (any command does that).',
      '`tend daemon stop` stops every program and the daemon, and waits until it has exited.',
      '`tend daemon status` shows its pid, version, home and start-up problems.',
      '`tend daemon reload` (or `tend update`) replaces the daemon by one running the code installed',
      'now: every process keeps running with its pid, no output is lost; prints both versions.',
    ].join('\n'),
    load: () => import('./commands/daemon.js'),
  },
  {
    name: 'update',
    aliases: [],
    summary:
      'replace the daemon by the tend installed now, without stopping any program (`daemon reload`)',
    usage: '[--json]',
    positionals: [],
    options: [JSON_OPTION],
    details:
      'The running daemon hands every process, its output and its history over to a new daemon started from the code installed now, then exits. Same as `tend daemon reload`.',
    load: () => import('./commands/update.js'),
  },
  {
    name: 'dashboard',
    aliases: [],
    summary: 'open the web dashboard (turns on the TCP listener on 127.0.0.1 if it is off)',
    usage: '[--no-open] [--json]',
    positionals: [],
    options: [
      { long: 'no-open', kind: 'flag', description: 'only print the URL, never open a browser' },
      JSON_OPTION,
    ],
    details: [
      'Prints the URL, with the token in its fragment (#token=…, never sent to a server), and',
      'opens it with xdg-open when a desktop is there (DISPLAY or WAYLAND_DISPLAY is set).',
      'The listener binds 127.0.0.1:7650, or a free port when 7650 is taken; see docs/dashboard.md.',
    ].join('\n'),
    examples: ['tend dashboard', 'tend dashboard --no-open'],
    load: () => import('./commands/dashboard.js'),
  },
  {
    name: 'kill',
    aliases: [],
    summary: 'stop every program and the daemon (same as `tend daemon stop`)',
    usage: '',
    positionals: [],
    options: [],
    hintForArguments: (words) =>
      words.length === 2
        ? `\`tend kill\` takes no argument: it stops the daemon and every program; to send ${words[0]} to ${words[1]}, use \`tend signal ${words.join(' ')}\``
        : '`tend kill` takes no argument: it stops the daemon and every program; to send a signal to a program, use `tend signal <signal> <name>`',
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
