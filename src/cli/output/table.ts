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

/** Matches ANSI escape sequences (SGR colours and other CSI sequences). */
const ESCAPE = String.fromCharCode(27);
const PRINTABLE_ASCII = /^[ -~]*$/;
const ANSI_PATTERN = new RegExp(`${ESCAPE}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

/** The text without its ANSI escape sequences. */
export function stripAnsi(text: string): string {
  return text.includes(ESCAPE) ? text.replace(ANSI_PATTERN, '') : text;
}

/** How many columns a single-line text takes on a terminal, not counting escape sequences. */
export function visibleWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const char of stripAnsi(text)) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 32 || (code >= 0x7f && code < 0xa0) || isCombining(code)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

function isCombining(code: number): boolean {
  return (code >= 0x300 && code <= 0x36f) || code === 0x200d || (code >= 0xfe00 && code <= 0xfe0f);
}

/** East Asian wide and fullwidth ranges, and emoji: the common cases, not all of Unicode's table. */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
