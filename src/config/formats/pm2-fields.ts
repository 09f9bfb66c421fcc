/** What PM2 does and tend does instead, field by field: the tables the PM2 readers and their docs follow. */

/** The signal PM2 stops a process with (its PM2_KILL_SIGNAL default): apps written for PM2 handle it. */
export const PM2_STOP_SIGNAL = 'SIGINT';
/** PM2's cap on exp_backoff_restart_delay's growth. */
export const PM2_BACKOFF_CAP_MS = 15_000;

/** Interpreters PM2 picks by the script's extension (its lib/API/interpreter.json; python3 as PM2 falls back to). */
export const INTERPRETER_BY_EXTENSION: Record<string, string> = {
  '.sh': 'bash',
  '.py': 'python3',
  '.rb': 'ruby',
  '.php': 'php',
  '.pl': 'perl',
  '.js': 'node',
  '.cjs': 'node',
  '.mjs': 'node',
  '.coffee': 'coffee',
  '.ls': 'lsc',
  '.ts': 'bun',
  '.tsx': 'bun',
};

const LOGS =
  "tend keeps each instance's output in its own rotated files under $TEND_HOME/logs (`tend logs <name>`, `--timestamps`)";
const PM2_ONLY = "PM2's own (its Node.js wrapper, PM2.io monitoring or deployment)";

/**
 * PM2 app fields tend does not do, each with what tend does instead. With the fields the mapping
 * reads (PM2_MAPPED_FIELDS), this is every field of PM2's schema (a test checks it against PM2's own).
 */
export const PM2_IGNORED_FIELDS: Readonly<Record<string, string>> = {
  watch: 'tend does not watch files; `tend restart <name>` after a change',
  ignore_watch: 'tend does not watch files',
  watch_options: 'tend does not watch files',
  watch_delay: 'tend does not watch files',
  cron_restart: 'tend has no scheduled restarts',
  cron: 'tend has no scheduled restarts',
  out_file: LOGS,
  out: LOGS,
  output: LOGS,
  out_log: LOGS,
  error_file: LOGS,
  error: LOGS,
  err: LOGS,
  err_file: LOGS,
  err_log: LOGS,
  log_file: LOGS,
  log: LOGS,
  merge_logs: LOGS,
  combine_logs: LOGS,
  log_date_format: LOGS,
  log_type: LOGS,
  disable_logs: LOGS,
  time: LOGS,
  pid_file: 'tend keeps the pids itself (`tend status <name>`)',
  pid: 'tend keeps the pids itself (`tend status <name>`)',
  uid: "tend runs programs as the daemon's user",
  user: "tend runs programs as the daemon's user",
  gid: "tend runs programs as the daemon's user",
  username: "tend runs programs as the daemon's user",
  instance_var: 'tend sets TEND_INSTANCE (0, 1, …), not NODE_APP_INSTANCE',
  increment_var: 'tend sets TEND_INSTANCE (0, 1, …) and, with a port, PORT = port + instance',
  wait_ready:
    "tend has no process.send('ready'); with a port, an instance is ready when the port accepts connections",
  shutdown_with_message: `tend stops a process with a signal (${PM2_STOP_SIGNAL} for apps from PM2)`,
  treekill: "tend always stops the instance's whole process group",
  autostart: 'tend starts what it imports; `tend stop <name>` afterwards',
  namespace: 'tend has no namespaces',
  name_prefix: 'tend has no namespaces',
  filter_env: "a program's environment is its `env` over the daemon's",
  append_env_to_name: 'tend keeps the name as given',
  force: PM2_ONLY,
  vizion: PM2_ONLY,
  pmx: PM2_ONLY,
  automation: PM2_ONLY,
  trace: PM2_ONLY,
  disable_trace: PM2_ONLY,
  v8: PM2_ONLY,
  event_loop_inspector: PM2_ONLY,
  deep_monitoring: PM2_ONLY,
  io: PM2_ONLY,
  post_update: PM2_ONLY,
  install_url: PM2_ONLY,
  execute_command: PM2_ONLY,
  windowsHide: PM2_ONLY,
  kill_retry_time: PM2_ONLY,
  write: PM2_ONLY,
  source_map_support: PM2_ONLY,
  disable_source_map_support: PM2_ONLY,
};

/** PM2 app fields that become tend settings (`env_<name>` is matched by its prefix). */
export const PM2_MAPPED_FIELDS: readonly string[] = [
  'name',
  'max_memory_restart',
  'script',
  'exec',
  'cmd',
  'command',
  'args',
  'cwd',
  'interpreter',
  'exec_interpreter',
  'node_args',
  'interpreter_args',
  'interpreterArgs',
  'instances',
  'exec_mode',
  'env',
  'port',
  'autorestart',
  'stop_exit_codes',
  'min_uptime',
  'max_restarts',
  'restart_delay',
  'exp_backoff_restart_delay',
  'kill_timeout',
  'listen_timeout',
];

/** Values a dump holds for fields nobody set (`pm2 save` writes them all); `*` is any value. */
const DUMP_DEFAULTS: Readonly<Record<string, unknown>> = {
  watch: false,
  autostart: true,
  treekill: true,
  vizion: true,
  pmx: true,
  automation: true,
  windowsHide: true,
  kill_retry_time: 100,
  instance_var: 'NODE_APP_INSTANCE',
  namespace: 'default',
  filter_env: [],
  username: '*',
  merge_logs: '*',
};

/** Whether a dump's value is PM2's default for that field (so nobody set it). */
export function isDumpDefault(field: string, value: unknown): boolean {
  if (!(field in DUMP_DEFAULTS)) return false;
  const expected = DUMP_DEFAULTS[field];
  return expected === '*' || JSON.stringify(expected) === JSON.stringify(value);
}
