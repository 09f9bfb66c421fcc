import { z } from 'zod';
import { programNameProblem } from '../../config/program-name.js';
import { NotFoundError, UsageError } from '../../errors.js';
import { parseInput } from '../parse-input.js';
import { TARGET_SEPARATOR } from '../wire.js';

/** What a route's `:target` names: every program, or these programs (at least one, no repeats). */
export type ProgramTarget = 'all' | readonly string[];

const NameParams = z.strictObject({ name: z.string().min(1).max(256) });
const TargetParams = z.strictObject({
  target: z
    .string()
    .min(1)
    .max(16 * 1024),
});

/** A route's `:name`, checked by the same rules as a new program's name (so `..%2F..` is an invalid name, not a missing one). */
export function parseNameParam(params: unknown): string {
  return checkName(parseInput(NameParams, params, 'path').name);
}

/** A route's `:target`: `all`, one program name, or several separated by commas (`a,b`). */
export function parseTargetParam(params: unknown): ProgramTarget {
  const { target } = parseInput(TargetParams, params, 'path');
  if (target === 'all') return 'all';
  const names = [...new Set(target.split(TARGET_SEPARATOR))];
  if (names.includes('all')) {
    throw new UsageError(
      'TEND_ERR_PROGRAM_INVALID_NAME',
      `Expected \`all\` alone or program names, got ${JSON.stringify(target)}`,
    );
  }
  return names.map(checkName);
}

/**
 * Checks that every named program is managed before anything is done, so that a typo in one name
 * changes nothing; the error names every unknown one.
 */
export function checkTargetsExist(target: ProgramTarget, has: (name: string) => boolean): void {
  if (target === 'all') return;
  const unknown = target.filter((name) => !has(name));
  if (unknown.length === 0) return;
  const [only] = unknown;
  const what =
    unknown.length === 1
      ? `No program named \`${only}\``
      : `No programs named ${unknown.map((name) => `\`${name}\``).join(', ')}`;
  const untouched = target.length > 1 ? '; nothing was done' : '';
  throw new NotFoundError(
    'TEND_ERR_PROGRAM_NOT_FOUND',
    `${what}${untouched}; \`tend ls\` lists the managed programs`,
  );
}

function checkName(name: string): string {
  const problem = programNameProblem(name);
  if (problem) throw new UsageError('TEND_ERR_PROGRAM_INVALID_NAME', problem);
  return name;
}
