import { parse } from 'dotenv';
import { foreignError } from './foreign-config.js';

/** A line dotenv reads as a variable: `[export ]KEY=…` or `KEY: …`. */
const ASSIGNMENT = /^\s*(?:export\s+)?[\w.-]+\s*(?:=|:)\s*(.*)$/;

/**
 * Parses a `.env` file with dotenv, after checking what dotenv would silently skip or take
 * literally: a line that is not `KEY=value`, a comment or blank, and a quoted value whose quote is
 * never closed. Errors name the file and the line.
 */
export function parseEnvFile(file: string, text: string): Record<string, string> {
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const value = ASSIGNMENT.exec(line)?.[1];
    if (value === undefined) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_SYNTAX',
        file,
        `line ${index + 1}`,
        `Expected KEY=value, a # comment or a blank line, got ${JSON.stringify(line)}`,
      );
    }
    const quote = /^(["'`])/.exec(value)?.[1];
    if (quote === undefined) continue;
    // A quoted value may span lines (dotenv allows it): find where it closes.
    let rest = value.slice(1);
    let end = index;
    while (!closes(rest, quote)) {
      end++;
      if (end >= lines.length) {
        throw foreignError(
          'TEND_ERR_CONFIG_IMPORT_SYNTAX',
          file,
          `line ${index + 1}`,
          `Expected a closing ${quote} for the value that opens here`,
        );
      }
      rest = lines[end] as string;
    }
    index = end;
  }
  return parse(text);
}

/** Whether a quote closes in this text (a backslash escapes it in double quotes). */
function closes(text: string, quote: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (quote === '"' && text[index] === '\\') index++;
    else if (text[index] === quote) return true;
  }
  return false;
}
