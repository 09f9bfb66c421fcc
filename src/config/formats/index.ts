// STUB owned by cfg-import: the real readers replace this file at merge.
import type { ProgramSpecInput } from '../program-spec.js';

/** A config file of another tool that `tend apply -f` and `tend import` read. */
export type ForeignFormat = 'pm2' | 'pm2-dump' | 'procfile' | 'supervisord';

/** The programs a foreign file declares, and what of it tend does not do. */
export interface ForeignConfig {
  programs: ProgramSpecInput[];
  warnings: string[];
}

/** The foreign format a path holds, or null for tend's own file. */
export function detectForeignFormat(_path: string): ForeignFormat | null {
  return null;
}

/** Reads a foreign file into program definitions. */
export async function readForeignConfig(
  _path: string,
  format: ForeignFormat,
  _options: { envName?: string },
): Promise<ForeignConfig> {
  throw new Error(`Reading ${format} files is not in this build`);
}
