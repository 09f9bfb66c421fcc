import { exportCompose } from './compose-file.js';
import type { ForeignExporter, ForeignFormat } from './export-types.js';
import { exportKubernetes } from './kubernetes-objects.js';
import { exportSystemd } from './systemd-units.js';

export type {
  ExportResult,
  ForeignExporter,
  ForeignExportOptions,
  ForeignFormat,
} from './export-types.js';
export { FOREIGN_FORMATS } from './export-types.js';
export { systemdUnits, type UnitFile } from './systemd-units.js';

/** The exporters of `tend export --format X`, by format. */
export const FOREIGN_EXPORTS: Record<ForeignFormat, ForeignExporter> = {
  systemd: (specs) => exportSystemd(specs),
  compose: exportCompose,
  kubernetes: exportKubernetes,
};
