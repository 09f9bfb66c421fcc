import { UsageError } from '../errors.js';

/**
 * Splits a line typed in `tend shell` into words as a POSIX shell would for plain words:
 * whitespace separates, '…' is literal, "…" honours \" and \\, and a backslash escapes one character.
 * No expansion of variables, globs or substitutions.
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let isInWord = false;
  let quote: "'" | '"' | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && (line[index + 1] === '"' || line[index + 1] === '\\'))
        word += line[++index];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      isInWord = true;
    } else if (char === '\\') {
      if (index + 1 < line.length) word += line[++index];
      isInWord = true;
    } else if (/\s/.test(char)) {
      if (isInWord) words.push(word);
      word = '';
      isInWord = false;
    } else {
      word += char;
      isInWord = true;
    }
  }
  if (quote) throw new UsageError('TEND_ERR_USAGE', `Expected a closing ${quote} in the line`);
  if (isInWord) words.push(word);
  return words;
}
