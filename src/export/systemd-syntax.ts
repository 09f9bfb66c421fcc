/**
 * How values are written in a systemd unit file (systemd.syntax(7), systemd.service(5)): the one
 * place for quoting, shared by `tend export --format systemd` and `tend startup`.
 */

/** Characters of a command-line word that may stand unquoted. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `%` starts a specifier (`%i`, `%h`) in almost every setting: `%%` is a literal one. */
export function escapeSpecifiers(text: string): string {
  return text.replaceAll('%', '%%');
}

/** C-style escapes inside a double-quoted systemd string: backslash, quote and control characters. */
function escapeInQuotes(text: string): string {
  let escaped = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') escaped += '\\\\';
    else if (char === '"') escaped += '\\"';
    else if (char === '\n') escaped += '\\n';
    else if (char === '\t') escaped += '\\t';
    else if (char === '\r') escaped += '\\r';
    else if (code < 0x20 || code === 0x7f) escaped += `\\x${code.toString(16).padStart(2, '0')}`;
    else escaped += char;
  }
  return escaped;
}

/**
 * One word of an ExecStart= line, taken literally: quoted when it holds anything but plain
 * characters, `$` doubled (systemd expands `$VAR` on command lines) and `%` doubled. A lone `;`
 * would separate two commands, so it is escaped.
 */
export function execWord(word: string): string {
  if (word === ';') return '\\;';
  const literal = escapeSpecifiers(word).replaceAll('$', '$$$$');
  return PLAIN_WORD.test(word) ? literal : `"${escapeInQuotes(literal)}"`;
}

/** A whole command line for ExecStart=, every word literal. */
export function execLine(argv: readonly string[]): string {
  return argv.map(execWord).join(' ');
}

/** One `Environment=` line setting `key` to `value` exactly (no `$` expansion happens there). */
export function environmentLine(key: string, value: string): string {
  return `Environment="${escapeInQuotes(escapeSpecifiers(`${key}=${value}`))}"`;
}

/** A duration in systemd's (and Compose's) syntax: `5s`, or `1500ms` when not whole seconds. */
export function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** A unit file from its sections, in order; a section is a list of `Key=value` (or `# comment`) lines. */
export function renderUnit(
  header: readonly string[],
  sections: ReadonlyArray<readonly [name: string, lines: readonly string[]]>,
): string {
  const parts = [header.map((line) => `# ${line}`).join('\n')];
  for (const [name, lines] of sections) parts.push([`[${name}]`, ...lines].join('\n'));
  return `${parts.filter((part) => part.length > 0).join('\n\n')}\n`;
}
