/** Longest program name accepted. */
export const MAX_PROGRAM_NAME_LENGTH = 64;

/** Names that mean something else on the command line. */
const RESERVED_NAMES = new Set(['all']);

/**
 * Why a program name is not acceptable, or undefined when it is.
 * A name must be usable as a file name under $TEND_HOME/logs and in `name:instance`.
 */
export function programNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Expected a program name, got an empty string';
  if (name.length > MAX_PROGRAM_NAME_LENGTH) {
    return `Expected a program name of at most ${MAX_PROGRAM_NAME_LENGTH} characters, got ${name.length}`;
  }
  if (RESERVED_NAMES.has(name))
    return `Expected a program name other than \`${name}\`, which is reserved`;
  if (name.includes('..') || !/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) {
    return `Expected a program name of letters, digits, \`.\`, \`_\` and \`-\` (not starting with \`.\` or \`-\`, no \`..\`), got ${JSON.stringify(name)}`;
  }
  return undefined;
}

/** Suffix of the name under which a pool's proxy process is supervised and logged; programs may not use it. */
export const PROXY_NAME_SUFFIX = '.proxy';
