import type { ProgramSpec } from './program-spec.js';

/** The port of instance `index`: the program's base port plus the index, or null when it has none. The one place `port + index` is computed. */
export function instancePort(spec: Pick<ProgramSpec, 'port'>, index: number): number | null {
  return spec.port === undefined ? null : spec.port + index;
}
