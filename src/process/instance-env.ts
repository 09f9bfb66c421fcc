import { instancePort } from '../config/instance-port.js';
import type { ProgramSpec } from '../config/program-spec.js';

/**
 * The variables an instance gets on top of the environment it inherits: `spec.env`, then TEND_NAME,
 * TEND_INSTANCE (0-based) and PORT (when the program has a base port), which win over `spec.env`.
 */
export function instanceEnv(
  spec: Pick<ProgramSpec, 'name' | 'env' | 'port'>,
  index: number,
): Record<string, string> {
  const env: Record<string, string> = {
    ...spec.env,
    TEND_NAME: spec.name,
    TEND_INSTANCE: String(index),
  };
  const port = instancePort(spec, index);
  if (port !== null) env.PORT = String(port);
  return env;
}
