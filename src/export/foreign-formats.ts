// STUB owned by cfg-export: the real renderers replace this file at merge.
import type { ProgramSpec } from '../config/program-spec.js';

/** Renders programs as another system's files. */
export type ForeignExporter = (
  specs: ProgramSpec[],
  options: { image?: string; home?: string },
) => { text: string; warnings: string[] };

/** The renderers of `tend export --format`, by format. */
export const FOREIGN_EXPORTS: Partial<
  Record<'systemd' | 'compose' | 'kubernetes', ForeignExporter>
> = {};
