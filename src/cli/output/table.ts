import { visibleWidth } from './ansi.js';

/** One column of a table. */
export interface TableColumn {
  header: string;
  align?: 'left' | 'right';
}

/** How a table is drawn. */
export interface TableOptions {
  /** Spaces between columns. */
  gap?: number;
  /** Style of the header row (bold or dim on a TTY). */
  styleHeader?: (text: string) => string;
  /** Spaces before every row. */
  indent?: number;
  /** Leave the header row out (the columns are still aligned). */
  isHeaderless?: boolean;
}

/**
 * Aligns rows under their headers; widths count visible columns, so coloured cells line up.
 * Lines end without trailing spaces. Returns the lines joined, with a final newline.
 */
export function formatTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const gap = ' '.repeat(options.gap ?? 2);
  const indent = ' '.repeat(options.indent ?? 0);
  const styleHeader = options.styleHeader ?? ((text: string) => text);
  const widths = columns.map((column, index) =>
    Math.max(
      options.isHeaderless ? 0 : visibleWidth(column.header),
      ...rows.map((row) => visibleWidth(cleanCell(row[index] ?? ''))),
    ),
  );
  const renderRow = (cells: readonly string[], style: (text: string) => string) => {
    const padded = columns.map((column, index) => {
      const cell = cleanCell(cells[index] ?? '');
      const padding = ' '.repeat((widths[index] ?? 0) - visibleWidth(cell));
      return column.align === 'right' ? padding + style(cell) : style(cell) + padding;
    });
    return (indent + padded.join(gap)).trimEnd();
  };
  const lines = rows.map((row) => renderRow(row, (text) => text));
  if (!options.isHeaderless) {
    lines.unshift(
      renderRow(
        columns.map((column) => column.header),
        styleHeader,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A cell is one line: tabs and newlines would break the alignment. */
function cleanCell(cell: string): string {
  return /[\n\r\t]/.test(cell) ? cell.replace(/\r?\n|\r|\t/g, ' ') : cell;
}

/** Aligns `label  value` pairs, as `tend status` shows the fields of a program. */
export function formatFields(
  fields: readonly (readonly [string, string])[],
  options: { indent?: number; styleLabel?: (text: string) => string } = {},
): string {
  const indent = ' '.repeat(options.indent ?? 0);
  const styleLabel = options.styleLabel ?? ((text: string) => text);
  const width = Math.max(0, ...fields.map(([label]) => visibleWidth(label)));
  return fields
    .map(([label, value]) => {
      const padding = ' '.repeat(width - visibleWidth(label));
      return `${indent}${styleLabel(label)}${padding}  ${cleanCell(value)}`.trimEnd();
    })
    .map((line) => `${line}\n`)
    .join('');
}
