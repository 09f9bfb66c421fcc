import { foreignError } from './foreign-config.js';

/** One `key = value` of an INI section, with the line it starts on. */
export interface IniEntry {
  value: string;
  line: number;
}

/** One `[section]`, its keys lower-cased as Python's ConfigParser does. */
export interface IniSection {
  name: string;
  line: number;
  entries: Map<string, IniEntry>;
}

/**
 * Reads INI text as supervisord does (Python's RawConfigParser with `;` and `#` inline comments):
 * `key = value` or `key: value`, comments on their own line or after whitespace, and indented
 * lines continuing the value above. Written here because the npm `ini` package reads neither
 * continuation lines nor `key: value`, cuts `a;b` as a comment, and gives no line numbers.
 */
export function parseIniSections(file: string, text: string): IniSection[] {
  const sections: IniSection[] = [];
  let current: IniSection | undefined;
  let lastEntry: IniEntry | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNumber = index + 1;
    if (/^\s*[;#]/.test(raw)) return;
    const line = stripInlineComment(raw);
    if (line.trim() === '') {
      lastEntry = undefined;
      return;
    }
    if (/^\s/.test(line) && lastEntry !== undefined) {
      lastEntry.value += `\n${line.trim()}`;
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(line.trim());
    if (header) {
      current = { name: (header[1] as string).trim(), line: lineNumber, entries: new Map() };
      sections.push(current);
      lastEntry = undefined;
      return;
    }
    const place = `line ${lineNumber}`;
    const separator = line.search(/[=:]/);
    if (separator <= 0) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_SYNTAX',
        file,
        place,
        `Expected \`key = value\`, \`[section]\`, a ; comment or a blank line, got ${JSON.stringify(raw)}`,
      );
    }
    if (current === undefined) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_SYNTAX',
        file,
        place,
        'Expected a `[section]` header before the first key',
      );
    }
    const key = line.slice(0, separator).trim().toLowerCase();
    if (current.entries.has(key)) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_SYNTAX',
        file,
        place,
        `Expected \`${key}\` once in [${current.name}], got it again (first on line ${current.entries.get(key)?.line})`,
      );
    }
    lastEntry = { value: line.slice(separator + 1).trim(), line: lineNumber };
    current.entries.set(key, lastEntry);
  });
  return sections;
}

/** A line without its inline comment: `;` or `#` after whitespace (supervisord's rule: "a=b ;c", not "a=b;c"). */
function stripInlineComment(line: string): string {
  const match = /\s[;#]/.exec(line);
  return match ? line.slice(0, match.index) : line;
}
