import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec } from '../config/program-spec.js';
import { NOTIFY_FD_ENV_KEY, WATCHDOG_ENV_KEY } from '../config/reserved-env.js';

/** The descriptor an instance's notify channel is on, when it has one (stdio index 3). */
export const NOTIFY_CHILD_FD = 3;

/**
 * The variables an instance gets on top of the environment it inherits: `spec.env`, then TEND_NAME,
 * TEND_INSTANCE (0-based), PORT (when the program has a base port), TEND_NOTIFY_FD (when it gets a
 * notify channel) and TEND_WATCHDOG_MS (with a watchdog), which win over `spec.env`.
 */
export function instanceEnv(
  spec: Pick<ProgramSpec, 'name' | 'env' | 'port' | 'watchdogMs'>,
  index: number,
  hasNotifyChannel = false,
): Record<string, string> {
  const env: Record<string, string> = {
    ...spec.env,
    TEND_NAME: spec.name,
    TEND_INSTANCE: String(index),
  };
  const port = instancePort(spec, index);
  if (port !== null) env.PORT = String(port);
  if (hasNotifyChannel) env[NOTIFY_FD_ENV_KEY] = String(NOTIFY_CHILD_FD);
  if (spec.watchdogMs !== undefined) env[WATCHDOG_ENV_KEY] = String(spec.watchdogMs);
  return env;
}
