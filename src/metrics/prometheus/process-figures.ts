import { CLOCK_TICKS_PER_SECOND, readProcStat, readResidentBytes } from '../proc-sample.js';
import type { ProcessFigures } from './metrics-source.js';

/** CPU seconds since start and resident memory of a pid, from /proc; undefined for a gone or zombie process. */
export const readProcessFigures: ProcessFigures = (pid) => {
  const stat = readProcStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  const residentBytes = readResidentBytes(pid);
  if (residentBytes === undefined) return undefined;
  return { cpuSeconds: stat.cpuTicks / CLOCK_TICKS_PER_SECOND, residentBytes };
};
