/** The variable that names the descriptor of an instance's notify channel (docs/health.md). */
export const NOTIFY_FD_ENV_KEY = 'TEND_NOTIFY_FD';

/** The variable that tells an instance its watchdog interval in ms, when it has one. */
export const WATCHDOG_ENV_KEY = 'TEND_WATCHDOG_MS';

/** The variable that names the descriptor a task program's instance reads its tasks from (docs/tasks.md). */
export const TASK_FD_ENV_KEY = 'TEND_TASK_FD';

/**
 * Variables tend sets in an instance's environment: the program's name, the instance's index,
 * its notify channel and its watchdog interval.
 */
export const TEND_SET_ENV_KEYS: readonly string[] = [
  'TEND_NAME',
  'TEND_INSTANCE',
  NOTIFY_FD_ENV_KEY,
  WATCHDOG_ENV_KEY,
  TASK_FD_ENV_KEY,
];

const WHAT_TEND_SETS: Readonly<Record<string, string>> = {
  TEND_NAME: "the program's name",
  TEND_INSTANCE: "the instance's index, from 0",
  [NOTIFY_FD_ENV_KEY]: "the descriptor of the instance's notify channel",
  [WATCHDOG_ENV_KEY]: 'the --watchdog interval in ms',
  [TASK_FD_ENV_KEY]: 'the descriptor a task program reads its tasks from',
};

/** The variable that carries an instance's port (base port + index) when the program has a `port`. */
export const PORT_ENV_KEY = 'PORT';

/** The variables tend would set over a program's `env`, which `env` may therefore not hold. */
export function reservedEnvKeys(hasPort: boolean): string[] {
  return hasPort ? [...TEND_SET_ENV_KEYS, PORT_ENV_KEY] : [...TEND_SET_ENV_KEYS];
}

/** Why `env` may not set `key` (tend would override it), or undefined when it may. */
export function reservedEnvProblem(key: string, port: number | undefined): string | undefined {
  if (TEND_SET_ENV_KEYS.includes(key)) {
    return `tend sets ${key} itself (${WHAT_TEND_SETS[key]}) and would override it; leave it out of --env`;
  }
  if (key === PORT_ENV_KEY && port !== undefined) {
    return `tend sets PORT to the base port plus the instance's index (here ${port}, ${port + 1}, …) and would override it; change the base port with --port instead`;
  }
  return undefined;
}
