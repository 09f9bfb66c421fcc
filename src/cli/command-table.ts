import { ALLOCATION_DEFAULTS } from '../config/allocation-defaults.js';
import { formatDuration } from '../config/human-units.js';
import {
  BALANCE_STRATEGIES,
  PROXY_DEFAULTS,
  PROXY_LIMITS,
  PROXY_MODES,
} from '../config/proxy-defaults.js';
import { RELOAD_DEFAULTS, RELOAD_LIMITS } from '../config/reload-defaults.js';
import { TASK_DEFAULTS, TASK_END_RULES } from '../config/task-defaults.js';
import { EVENT_KINDS } from '../core/events.js';
import type { CommandSpec, OptionSpec } from './command-types.js';
import { HEARTBEAT_OPTIONS } from './heartbeat-option-table.js';
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
    description:
      'how long an instance with a readiness check (a port, --ready-on notify) may take to be ready before it is stopped',
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
  ...HEARTBEAT_OPTIONS,
  {
    long: 'after',
    kind: 'repeatable',
    valueName: 'NAME',
    description:
      'start only once program NAME is ready (every instance online), starting NAME first if it is stopped; repeatable',
    defaultText: 'none',
    check: { kind: 'program-name' },
  },
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
    defaultText: formatDuration(PROXY_DEFAULTS.waitForReadyMs),
    check: { kind: 'duration', minMs: 0, maxMs: PROXY_LIMITS.waitForReadyMsMax },
  },
  {
    long: 'proxy-timeout',
    kind: 'value',
    valueName: 'MS',
    description:
      'how long an instance may take to start its answer; then the request is retried elsewhere (idempotent) and the instance is suspect',
    defaultText: formatDuration(PROXY_DEFAULTS.responseHeaderTimeoutMs),
    check: { kind: 'duration', minMs: 1, maxMs: PROXY_LIMITS.responseTimeoutMsMax },
  },
  {
    long: 'proxy-idle-timeout',
    kind: 'value',
    valueName: 'MS',
    description: 'how long an instance may go silent within an answer before it is cut',
    defaultText: formatDuration(PROXY_DEFAULTS.responseIdleTimeoutMs),
    check: { kind: 'duration', minMs: 1, maxMs: PROXY_LIMITS.responseTimeoutMsMax },
  },
  {
    long: 'tasks',
    kind: 'flag',
    description:
      "a task program: each allocated instance is one client's task, kept out of the proxy's rotation and never reused (needs --port; see docs/tasks.md)",
  },
  {
    long: 'ready-buffer',
    kind: 'value',
    valueName: 'N',
    description: 'idle ready instances kept started for the next task, up to --max (with --tasks)',
    defaultText: String(TASK_DEFAULTS.readyBuffer),
    check: { kind: 'integer', min: 0, max: 4096 },
  },
  {
    long: 'end-when',
    kind: 'value',
    valueName: 'RULE',
    description:
      'what ends a task besides its exit and `tend close`: owner-leaves, grace (after --grace unless the owner is back) or explicit (with --tasks)',
    defaultText: TASK_DEFAULTS.endWhen,
    check: { kind: 'choice', choices: TASK_END_RULES },
  },
  {
    long: 'grace',
    kind: 'value',
    valueName: 'MS',
    description: 'with --end-when grace, how long a task whose owner left waits for it',
    defaultText: formatDuration(TASK_DEFAULTS.graceMs),
    check: { kind: 'duration', minMs: 0, maxMs: DAY_MS },
  },
  {
    long: 'connect-wait',
    kind: 'value',
    valueName: 'MS',
    description:
      'how long a client connecting to a task that is still starting waits (with --tasks)',
    defaultText: formatDuration(TASK_DEFAULTS.connectWaitMs),
    check: { kind: 'duration', minMs: 0, maxMs: 300_000 },
  },
  {
    long: 'allocate-token',
    kind: 'value',
    valueName: 'TOKEN',
    description:
      'only clients presenting TOKEN may allocate tasks through the proxy port (with --tasks and --proxy-port)',
    defaultText: 'anyone on the proxy address',
  },
  {
    long: 'proxy-workers',
    kind: 'value',
    valueName: 'N',
    description:
      'proxy processes sharing the listening port: more connections than one process may open, and more cores (about 57 MiB each)',
    defaultText: String(PROXY_DEFAULTS.workers),
    check: { kind: 'integer', min: 1, max: PROXY_LIMITS.workersMax },
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
    name: 'apply',
    aliases: [],
    summary: 'make the daemon run what a tend.yaml declares: add, change, (--prune) remove',
    usage: '[FILE | -f FILE] [--env NAME] [--dry-run] [--prune] [--no-wait] [--json]',
    positionals: [{ name: '[FILE]', isRequired: false }],
    options: [
      {
        long: 'file',
        short: 'f',
        kind: 'value',
        valueName: 'FILE',
        description: 'the file to apply: tend.yaml, .yml or .json (or a foreign format)',
        defaultText: 'tend.yaml',
      },
      {
        long: 'env',
        kind: 'value',
        valueName: 'NAME',
        description: "add each program's env_NAME variables on top of its env",
        defaultText: 'none',
      },
      { long: 'dry-run', kind: 'flag', description: 'print the plan, change nothing' },
      {
        long: 'prune',
        kind: 'flag',
        description: 'delete managed programs that the file does not declare',
      },
      NO_WAIT_OPTION,
      {
        long: 'json',
        kind: 'flag',
        description: 'print what was (or, with --dry-run, would be) done as JSON',
      },
    ],
    details: [
      'The whole file is checked first: a file with one bad program changes nothing, and the',
      'message names the file, line, column and field. Then the plan is printed, field by field',
      '(environment values are never printed), and carried out: removals, additions, changes.',
      'A running program is reloaded (rolling, as tend reload) only when a changed setting needs',
      'new processes (command, env, cwd, port…); a new size within min/max scales it without',
      'restarting anything. A stopped program stays stopped. Applying the same file again changes',
      'nothing.',
    ].join('\n'),
    examples: [
      'tend apply',
      'tend apply deploy/tend.yaml --env production --dry-run',
      'tend apply --prune',
    ],
    load: () => import('./commands/apply.js'),
  },
  {
    name: 'export',
    aliases: [],
    summary: "print the managed programs as a tend.yaml (or another system's files)",
    usage: '[name...] [--format tend|systemd|compose|kubernetes] [--image IMG] [--with-shell-env]',
    positionals: [{ name: '[name...]', isRequired: false, isVariadic: true, completes: 'program' }],
    options: [
      {
        long: 'format',
        kind: 'value',
        valueName: 'FORMAT',
        description: 'tend (a tend.yaml), systemd, compose or kubernetes',
        defaultText: 'tend',
        check: { kind: 'choice', choices: ['tend', 'systemd', 'compose', 'kubernetes'] },
      },
      {
        long: 'image',
        kind: 'value',
        valueName: 'IMG',
        description: 'the container image of the programs (compose, kubernetes)',
        defaultText: 'none',
      },
      {
        long: 'with-shell-env',
        kind: 'flag',
        description: 'also write the variables `tend start` copied from its shell (PATH, HOME…)',
      },
    ],
    details: [
      'Without names, every program. The tend format leaves out every setting that has its',
      'default, and `tend apply` of the output changes nothing (a round trip). The env written is',
      'what was set (--env, a file), not the shell environment `tend start` copied, unless',
      '--with-shell-env.',
    ].join('\n'),
    examples: ['tend export > tend.yaml', 'tend export web --format systemd'],
    load: () => import('./commands/export.js'),
  },
  {
    name: 'schema',
    aliases: [],
    summary: 'print the JSON Schema of tend.yaml, for editors',
    usage: '',
    positionals: [],
    options: [],
    details:
      'Save it next to the file (`tend schema > tend.schema.json`) and put\n`# yaml-language-server: $schema=./tend.schema.json` at the top of tend.yaml.',
    isOffline: true,
    load: () => import('./commands/schema.js'),
  },
  {
    name: 'import',
    aliases: [],
    summary:
      'create the programs of a PM2 dump or ecosystem file, a Procfile or a supervisord file',
    usage:
      '<pm2|ecosystem|procfile|supervisord> [path] [--env NAME] [--formation SPEC] [--dry-run] [--json]',
    positionals: [
      {
        name: '<pm2|ecosystem|procfile|supervisord>',
        isRequired: true,
        completes: ['pm2', 'ecosystem', 'procfile', 'supervisord'],
      },
      { name: '[path]', isRequired: false },
    ],
    options: [
      {
        long: 'env',
        kind: 'value',
        valueName: 'NAME',
        description: "PM2 ecosystem files: merge each app's env_NAME over its env (pm2 --env NAME)",
        defaultText: 'env only',
      },
      {
        long: 'formation',
        kind: 'value',
        valueName: 'SPEC',
        description: 'Procfiles: instances per process type, such as web=2,worker=1 or all=2',
        defaultText: 'one of each',
      },
      {
        long: 'dry-run',
        kind: 'flag',
        description: 'print the programs and warnings, create nothing',
      },
      JSON_OPTION,
    ],
    details: [
      '`pm2` reads $PM2_HOME/dump.pm2 (default ~/.pm2/dump.pm2, written by `pm2 save`), or the',
      'ecosystem file given. An ecosystem .js/.cjs/.mjs file is code: tend runs it in a separate',
      'Node process, in its folder, for at most 10 s, and takes what it exports. A Procfile is read',
      'with the .env beside it; its commands run through sh -c, as foreman runs them. Every setting',
      'tend does not do is printed as a warning. Nothing is created when a name is already managed',
      'or a program is invalid. Mappings: docs/configuration.md.',
    ].join('\n'),
    examples: [
      'tend import pm2',
      'tend import pm2 ecosystem.config.js --env production',
      'tend import procfile --formation web=2,worker=1',
      'tend import supervisord /etc/supervisor/conf.d/app.conf --dry-run',
    ],
    load: () => import('./commands/import.js'),
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
    name: 'allocate',
    aliases: [],
    summary: 'lease a free ready instance of a pool to one client and print its address',
    usage: '<name> [--holder NAME] [--ttl MS] [--timeout MS] [--json]',
    positionals: [{ name: '<name>', isRequired: true, completes: 'program' }],
    options: [
      {
        long: 'holder',
        kind: 'value',
        valueName: 'NAME',
        description: 'who holds the lease; only that holder may release it',
      },
      {
        long: 'ttl',
        kind: 'value',
        valueName: 'MS',
        description: 'end the lease after this long unless renewed',
        defaultText: 'until released or the instance exits',
        check: { kind: 'duration', minMs: 1, maxMs: DAY_MS },
      },
      {
        long: 'timeout',
        kind: 'value',
        valueName: 'MS',
        description: 'how long to wait for a free instance before giving up',
        defaultText: formatDuration(ALLOCATION_DEFAULTS.timeoutMs),
        check: { kind: 'duration', minMs: 0, maxMs: 120_000 },
      },
      JSON_OPTION,
    ],
    details: [
      'The dispatcher: hands out the lowest free ready instance (host, port, instance, lease id),',
      'which gets no other client until the lease is released, expires, or the instance exits.',
      'With none free, the pool grows by one while below --max and the request waits; at --max it',
      'waits for a release up to --timeout, then exits 1 naming the pool and its bound.',
    ].join('\n'),
    examples: ['tend allocate worker', 'tend allocate worker --holder alice --ttl 30s'],
    load: () => import('./commands/allocate.js'),
  },
  {
    name: 'release',
    aliases: [],
    summary: 'end a lease from tend allocate, so the instance can be handed out again',
    usage: '<name> <lease> [--holder NAME] [--json]',
    positionals: [
      { name: '<name>', isRequired: true, completes: 'program' },
      { name: '<lease>', isRequired: true },
    ],
    options: [
      {
        long: 'holder',
        kind: 'value',
        valueName: 'NAME',
        description: 'the holder named at allocation, when one was',
      },
      JSON_OPTION,
    ],
    examples: ['tend release worker l4kq2m9xw0c1vd7s'],
    load: () => import('./commands/release.js'),
  },
  {
    name: 'tasks',
    aliases: [],
    summary: "list a task program's live tasks: instance, id, owner, age, connections",
    usage: '<name> [--json]',
    positionals: [{ name: '<name>', isRequired: true, completes: 'program' }],
    options: [JSON_OPTION],
    details: [
      'A task program (`tend start --tasks`) hands each task an instance of its own; the API',
      '(POST /v1/programs/:name/tasks) and the proxy (/<name>/new) allocate them. See docs/tasks.md.',
    ].join('\n'),
    examples: ['tend tasks room', 'tend tasks room --json'],
    load: () => import('./commands/tasks.js'),
  },
  {
    name: 'close',
    aliases: [],
    summary: 'end a task: its process is stopped and replaced, never reused for another owner',
    usage: '<name> <id> [--json]',
    positionals: [
      { name: '<name>', isRequired: true, completes: 'program' },
      { name: '<id>', isRequired: true },
    ],
    options: [JSON_OPTION],
    examples: ['tend close room room-42'],
    load: () => import('./commands/close.js'),
  },
  {
    name: 'list',
    aliases: ['ls', 'ps'],
    summary: 'list every instance with its status, restarts, uptime, CPU and memory',
    usage: '[--json]',
    positionals: [],
    options: [JSON_OPTION],
    hintForArguments: (words) =>
      `\`tend ls\` takes no name: it lists every program; \`tend status ${words[0]}\` shows one, and \`tend tasks ${words[0]}\` a task program's tasks`,
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
    usage: '<name...|all> [--no-wait] [--proxy] [--json]',
    positionals: [
      { name: '<name...|all>', isRequired: true, isVariadic: true, completes: 'program' },
    ],
    options: [
      NO_WAIT_OPTION,
      {
        long: 'proxy',
        kind: 'flag',
        description:
          "replace the pool's proxy process instead of the instances (to run tend's code installed now): its port refuses connections for a moment and the connections through it are cut",
      },
      JSON_OPTION,
    ],
    details: [
      SEVERAL_NAMES_DETAILS,
      '',
      'With --proxy, each named program must have a proxy (`all`: every pool that has one); it',
      'returns once each new proxy listens and says how long the port was closed at most.',
    ].join('\n'),
    load: () => import('./commands/restart.js'),
  },
  {
    name: 'reload',
    aliases: [],
    summary: 'replace every instance with a new process, rolling, without dropping a request',
    usage:
      '<name> [--env KEY=VALUE]... [--command CMD] [--arg ARG]... [--max-surge N] [--max-unavailable N] [--drain-timeout MS] [--json]',
    positionals: [{ name: '<name>', isRequired: true, completes: 'program' }],
    options: [
      {
        long: 'env',
        kind: 'repeatable',
        valueName: 'KEY=VALUE',
        description: "set a variable in the program's environment first (repeat for more)",
        check: { kind: 'env-pair' },
      },
      {
        long: 'command',
        kind: 'value',
        valueName: 'CMD',
        description: 'run this command from now on',
        defaultText: 'the current one',
      },
      {
        long: 'arg',
        kind: 'repeatable',
        valueName: 'ARG',
        description: "the command's arguments from now on, one per --arg (replaces them all)",
        defaultText: 'the current ones',
      },
      {
        long: 'max-surge',
        kind: 'value',
        valueName: 'N',
        description:
          'temporary instances started on spare ports (below --max) before an old one stops',
        defaultText: String(RELOAD_DEFAULTS.maxSurge),
        check: { kind: 'integer', min: 0, max: RELOAD_LIMITS.maxStep },
      },
      {
        long: 'max-unavailable',
        kind: 'value',
        valueName: 'N',
        description: 'old instances out of rotation at once',
        defaultText: `${RELOAD_DEFAULTS.maxUnavailable}, or 1 when the pool has no spare port`,
        check: { kind: 'integer', min: 0, max: RELOAD_LIMITS.maxStep },
      },
      {
        long: 'drain-timeout',
        kind: 'value',
        valueName: 'MS',
        description: 'how long an instance out of rotation may take to finish its requests',
        defaultText: formatDuration(RELOAD_DEFAULTS.drainTimeoutMs),
        check: { kind: 'duration', minMs: 0, maxMs: RELOAD_LIMITS.drainTimeoutMsMax },
      },
      JSON_OPTION,
    ],
    details: [
      'Each instance gets a new process, a few at a time, and an old process is stopped only once',
      "its replacement is ready (or, at a pool's --max, with the others serving). Behind the",
      "pool's proxy an old instance first leaves the rotation and finishes its requests, so no",
      'request fails. --env, --command and --arg change the definition first (a deploy in one',
      'command). A replacement that exits or is not ready in time stops the reload (exit 1);',
      'the instances not yet replaced keep serving. `tend restart` instead restarts every',
      'instance at once with the definition it has. See docs/health.md#rolling-reload.',
    ].join('\n'),
    examples: [
      'tend reload web',
      'tend reload web --env RELEASE=42',
      'tend reload web --max-unavailable 2 --drain-timeout 5s',
    ],
    load: () => import('./commands/reload.js'),
  },
  {
    name: 'delete',
    aliases: ['rm', 'unmanage'],
    summary: 'stop programs and forget them',
    usage: '<name...|all> [--force] [--json]',
    positionals: [
      { name: '<name...|all>', isRequired: true, isVariadic: true, completes: 'program' },
    ],
    options: [
      {
        long: 'force',
        kind: 'flag',
        description: 'also delete a program others depend on (--after); they stay, waiting for it',
      },
      JSON_OPTION,
    ],
    details: [
      SEVERAL_NAMES_DETAILS,
      'Dependents are stopped before what they depend on. A program that another one, not',
      'deleted with it, depends on is refused (naming them) unless --force.',
    ].join('\n'),
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
      'name, and the reason. Runs until interrupted. The daemon keeps the last 4096 events for',
      `--since. Kinds: ${EVENT_KINDS.join(', ')}.`,
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
      { long: 'err', kind: 'flag', description: 'only standard error (not with --out)' },
      { long: 'out', kind: 'flag', description: 'only standard output (not with --err)' },
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
    name: 'notify',
    aliases: [],
    summary: 'from inside an instance: say it is ready, send a heartbeat, or set its status',
    usage:
      '[--ready] [--heartbeat] [--status TEXT] [--stopping] [--free|--allocated] [--shutdown] [--json]',
    positionals: [],
    options: [
      {
        long: 'ready',
        kind: 'flag',
        description: 'READY=1: the instance is ready (--ready-on notify)',
      },
      {
        long: 'heartbeat',
        kind: 'flag',
        description: 'WATCHDOG=1: the instance is alive (--watchdog)',
      },
      {
        long: 'status',
        kind: 'value',
        valueName: 'TEXT',
        description: 'STATUS=TEXT: one line shown by `tend status` (200 characters kept)',
      },
      {
        long: 'stopping',
        kind: 'flag',
        description: 'STOPPING=1: it is shutting down; the watchdog and silence timeout stop',
      },
      {
        long: 'free',
        kind: 'flag',
        description:
          'TASK_STATE=free: done with its task or lease; a task ends (and the process is replaced), a lease is released',
      },
      {
        long: 'allocated',
        kind: 'flag',
        description:
          'TASK_STATE=allocated: a task program instance takes a task by itself (out of the buffer and the rotation)',
      },
      {
        long: 'shutdown',
        kind: 'flag',
        description: 'SHUTDOWN=1: it is done; its task ends and tend stops it',
      },
      { long: 'json', kind: 'flag', description: 'print the lines sent as JSON' },
    ],
    details: [
      'Writes sd_notify lines to the notify channel tend gives each instance: the descriptor in',
      '$TEND_NOTIFY_FD (3). Only processes started by tend as an instance (and their children)',
      'have it; elsewhere the command fails (exit 2). Without tend: `echo WATCHDOG=1 >&3`.',
      'See docs/health.md for the protocol and how it relates to systemd.',
    ].join('\n'),
    examples: [
      'tend notify --ready',
      'tend notify --heartbeat',
      'tend notify --status "42 jobs queued"',
    ],
    isOffline: true,
    load: () => import('./commands/notify.js'),
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
      '`tend daemon status` shows its pid, version, home, start-up problems and what it cannot do now (a full disk).',
      '`tend daemon reload` (or `tend update`) replaces the daemon by one running the code installed',
      'now: every process keeps running with its pid, no output is lost; prints both versions.',
    ].join('\n'),
    load: () => import('./commands/daemon.js'),
  },
  {
    name: 'startup',
    aliases: [],
    summary: 'start the daemon at boot: write and enable a systemd unit',
    usage: '[systemd] [--user|--system] [--print] [--json]',
    positionals: [{ name: '[systemd]', isRequired: false, completes: ['systemd'] }],
    options: [
      {
        long: 'user',
        kind: 'flag',
        description: 'a unit for your own systemd (the default, except for root)',
      },
      {
        long: 'system',
        kind: 'flag',
        description: "a unit for the system's systemd (the default for root)",
      },
      {
        long: 'print',
        kind: 'flag',
        description: 'print the unit and where it goes; write nothing',
      },
      JSON_OPTION,
    ],
    details: [
      'Writes tend.service to ~/.config/systemd/user (--user) or /etc/systemd/system (--system):',
      '`tend daemon` in the foreground with this Node, this tend, your PATH and TEND_HOME,',
      'Restart=always, and KillMode=process so that systemd never kills a program tend runs.',
      'Then `systemctl daemon-reload` and `systemctl enable` (with --now when no daemon runs yet),',
      'and, for --user, `loginctl enable-linger` so that it starts at boot rather than at login.',
      'Without systemd, it prints the unit and where to put it, and exits 1.',
    ].join('\n'),
    examples: ['tend startup', 'tend startup --system', 'tend startup --print'],
    load: () => import('./commands/startup.js'),
  },
  {
    name: 'unstartup',
    aliases: [],
    summary: 'stop starting the daemon at boot: disable and remove the systemd unit',
    usage: '[--user|--system] [--json]',
    positionals: [],
    options: [
      {
        long: 'user',
        kind: 'flag',
        description: 'the unit of your own systemd (the default, except for root)',
      },
      { long: 'system', kind: 'flag', description: "the system's unit (the default for root)" },
      JSON_OPTION,
    ],
    details: 'A daemon that runs now goes on running; it is no longer started at boot.',
    load: () => import('./commands/unstartup.js'),
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
