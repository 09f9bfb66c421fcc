import { formatTable } from './format.js';
import { formatVerdict, type TargetCheck } from './result.js';

/** The target checks as a table, so that a benchmark run on its own says which targets it met. */
export function formatTargetTable(targets: readonly TargetCheck[]): string {
  return formatTable(
    ['target', 'verdict', 'measured'],
    targets.map((check) => [check.target, formatVerdict(check.isMet), check.measured]),
  );
}
