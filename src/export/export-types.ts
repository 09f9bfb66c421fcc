import type { ProgramSpec } from '../config/program-spec.js';

/** The formats of the systems users move to. */
export const FOREIGN_FORMATS = ['systemd', 'compose', 'kubernetes'] as const;
/** The formats of the systems users move to. */
export type ForeignFormat = (typeof FOREIGN_FORMATS)[number];

/** What an export produced: the text to print, and every setting that did not translate. */
export interface ExportResult {
  text: string;
  warnings: string[];
}

/** What an exporter may be given besides the programs. */
export interface ForeignExportOptions {
  /** The container image (Compose, Kubernetes). */
  image?: string;
  /** $TEND_HOME, when the caller knows it. */
  home?: string;
}

/** Turns programs into another system's files. */
export type ForeignExporter = (specs: ProgramSpec[], options: ForeignExportOptions) => ExportResult;
