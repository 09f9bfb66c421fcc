/** What starts every line the CLI writes on standard error: errors, warnings and notes alike. */
export const STDERR_PREFIX = 'tend: ';

/** An error or a note as one line of standard error: `tend: <text>`. */
export function stderrLine(text: string): string {
  return `${STDERR_PREFIX}${text}\n`;
}

/** A warning (done, or not done, in a way the user may not expect): `tend: warning: <text>`. */
export function warningLine(text: string): string {
  return stderrLine(`warning: ${text}`);
}
