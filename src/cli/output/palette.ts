/** The styles the CLI uses; each is the identity when colours are off. */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
  gray(text: string): string;
}

const identity = (text: string) => text;

/** No colours, for pipes, files, --json and NO_COLOR. */
export const PLAIN_PALETTE: Palette = {
  bold: identity,
  dim: identity,
  red: identity,
  green: identity,
  yellow: identity,
  blue: identity,
  magenta: identity,
  cyan: identity,
  gray: identity,
};

/** The palette for a context; picocolors is loaded only when colours are on, so pipes pay nothing for it. */
export async function loadPalette(isColor: boolean): Promise<Palette> {
  if (!isColor) return PLAIN_PALETTE;
  const { default: picocolors } = await import('picocolors');
  return picocolors.createColors(true);
}

const SOURCE_COLORS = ['cyan', 'magenta', 'blue', 'yellow', 'green'] as const;

/** A stable colour per program name, so that interleaved log lines are told apart. */
export function colorOfName(palette: Palette, name: string): (text: string) => string {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) >>> 0;
  return palette[SOURCE_COLORS[hash % SOURCE_COLORS.length] ?? 'cyan'];
}

/** The colour of an instance state in tables. */
export function colorOfState(palette: Palette, state: string): (text: string) => string {
  switch (state) {
    case 'online':
      return palette.green;
    case 'errored':
      return palette.red;
    case 'stopped':
      return palette.gray;
    default:
      return palette.yellow;
  }
}
