import { basename, extname } from 'node:path';
import { MAX_PROGRAM_NAME_LENGTH, programNameProblem } from '../config/program-name.js';

/** Interpreters whose first argument (the script) names the program better than they do. */
const INTERPRETERS = new Set([
  'node',
  'nodejs',
  'bun',
  'deno',
  'tsx',
  'ts-node',
  'python',
  'python2',
  'python3',
  'ruby',
  'perl',
  'php',
  'bash',
  'sh',
]);

/**
 * The default name of a new program: the command's base name without its extension, or the
 * script's when the command is an interpreter (`node server.js` → `server`). Undefined when
 * no valid name can be made of it.
 */
export function defaultProgramName(
  command: string,
  args: readonly string[],
  isShell: boolean,
): string | undefined {
  const words = isShell ? [...command.trim().split(/\s+/), ...args] : [command, ...args];
  const [first, ...rest] = words;
  if (first === undefined) return undefined;
  let source = first;
  const interpreter = baseWithoutExtension(first);
  if (INTERPRETERS.has(interpreter)) {
    const script =
      (interpreter === 'bun' || interpreter === 'deno') && rest[0] === 'run' ? rest[1] : rest[0];
    if (script !== undefined && !script.startsWith('-')) source = script;
  }
  return toProgramName(baseWithoutExtension(source));
}

/** The first of `base`, `base-2`, `base-3`… that no program has. */
export function pickFreeName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix++) {
    const tail = `-${suffix}`;
    const candidate = `${base.slice(0, MAX_PROGRAM_NAME_LENGTH - tail.length)}${tail}`;
    if (!taken.has(candidate)) return candidate;
  }
}

function baseWithoutExtension(path: string): string {
  const base = basename(path);
  const extension = extname(base);
  return extension && extension !== base ? base.slice(0, -extension.length) : base;
}

function toProgramName(raw: string): string | undefined {
  const name = raw
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .slice(0, MAX_PROGRAM_NAME_LENGTH);
  return programNameProblem(name) === undefined ? name : undefined;
}
