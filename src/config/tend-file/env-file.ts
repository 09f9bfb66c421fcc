import { parse } from 'dotenv';
import type { SourcePosition } from './source-document.js';

/** A line of an env file that dotenv would skip or read otherwise than it looks. */
export interface EnvFileProblem {
  position: SourcePosition;
  message: string;
}

const ASSIGNMENT = /^(\s*(?:export\s+)?[\w.-]+\s*(?:=|:\s))\s*/;

/**
 * Reads dotenv text (`KEY=value`, quotes, `export`, comments, multi-line quoted values) with the
 * dotenv package, after checking what dotenv passes over in silence: a line that is no
 * assignment, a quote that never closes, text after a closing quote. Those are mistakes a user
 * wants to hear about, with the line and column.
 */
export function parseEnvFile(text: string): {
  values: Record<string, string>;
  problems: EnvFileProblem[];
} {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const problems: EnvFileProblem[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    if (/^\s*(#.*)?$/.test(line)) continue;
    const head = ASSIGNMENT.exec(line);
    if (!head) {
      problems.push({
        position: { line: index + 1, col: firstColumn(line) },
        message: 'expected KEY=VALUE or a # comment',
      });
      continue;
    }
    const valueStart = head[0].length;
    const quote = line[valueStart];
    if (quote !== '"' && quote !== "'" && quote !== '`') continue;
    const close = findClosingQuote(lines, index, valueStart + 1, quote);
    if (!close) {
      problems.push({
        position: { line: index + 1, col: valueStart + 1 },
        message: `the ${quote} opened here is never closed`,
      });
      break;
    }
    const after = (lines[close.line] ?? '').slice(close.col + 1);
    if (!/^\s*(#.*)?$/.test(after)) {
      problems.push({
        position: { line: close.line + 1, col: close.col + 2 + firstColumn(after) - 1 },
        message: `expected the end of the line or a # comment after the closing ${quote}, got ${JSON.stringify(after.trim())}`,
      });
    }
    index = close.line;
  }
  return { values: parse(text), problems };
}

/** The line and column (0-based) of the quote that closes one opened before `from`, or undefined. */
function findClosingQuote(
  lines: readonly string[],
  startLine: number,
  from: number,
  quote: string,
): { line: number; col: number } | undefined {
  for (let line = startLine; line < lines.length; line++) {
    const text = lines[line] ?? '';
    for (let col = line === startLine ? from : 0; col < text.length; col++) {
      if (text[col] === '\\') col++;
      else if (text[col] === quote) return { line, col };
    }
  }
  return undefined;
}

function firstColumn(line: string): number {
  return line.length - line.trimStart().length + 1;
}
