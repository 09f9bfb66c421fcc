import { basename } from 'node:path';
import { type ErrorCode, UsageError } from '../../errors.js';
import { describeIssues, NewProgramSpecSchema, type ProgramSpecInput } from '../program-spec.js';

/** The file formats of other tools that tend reads. */
export type ForeignFormat = 'pm2' | 'pm2-dump' | 'procfile' | 'supervisord';

/** Every format, in the order help lists them. */
export const FOREIGN_FORMATS: readonly ForeignFormat[] = [
  'pm2',
  'pm2-dump',
  'procfile',
  'supervisord',
];

/** A program definition as `POST /v1/programs` takes it (ProgramSpecSchema's input), cwd absolute. */
export type ProgramInput = ProgramSpecInput;

/** What a foreign file turned into: tend's program definitions, and what did not translate. */
export interface ForeignConfig {
  programs: ProgramInput[];
  /** One line each, naming the app and the field: what tend ignored or does differently. */
  warnings: string[];
}

/** What the readers may be told. */
export interface ReadForeignOptions {
  /** PM2's `--env NAME`: `env_NAME` is merged over `env`. */
  envName?: string;
  /** Procfile formation, such as `web=2,worker=1` (foreman's `-m`); `all=N` sets every type. */
  formation?: string;
  /** How long a JavaScript ecosystem file may run (default 10 s). */
  scriptTimeoutMs?: number;
  /** Procfile: the first PORT (foreman's default 5000; each type gets +100). */
  basePort?: number;
  /** The environment supervisord's `%(ENV_X)s` reads (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The CPU count that `instances: 'max'`, 0 and negative numbers are relative to (default os.availableParallelism()). */
  cpuCount?: number;
}

/** One program read from a file, with where it came from for messages. */
export interface PlacedProgram {
  program: ProgramInput;
  /** Such as `line 3` or `app "api" (apps[0])`. */
  place: string;
  /** The foreign field each tend field came from, for messages (`instances` → `numprocs`). */
  sources: Partial<Record<keyof ProgramInput, string>>;
}

/** An error about a foreign file: its name, the place in it, and what was expected there. */
export function foreignError(
  code: ErrorCode,
  file: string,
  place: string | undefined,
  message: string,
  cause?: unknown,
): UsageError {
  const where = place === undefined ? basename(file) : `${basename(file)}: ${place}`;
  return new UsageError(code, `${where}: ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Checks every program as `POST /v1/programs` will (NewProgramSpecSchema) and that no two share a name; throws on the first
 * problem, naming the file, the place, tend's field and the foreign field it came from.
 */
export function checkPrograms(file: string, placed: readonly PlacedProgram[]): ProgramInput[] {
  const seen = new Map<string, string>();
  for (const { program, place, sources } of placed) {
    const result = NewProgramSpecSchema.safeParse(program);
    if (!result.success) {
      const field = result.error.issues[0]?.path[0];
      const source = typeof field === 'string' ? sources[field as keyof ProgramInput] : undefined;
      const message = describeIssues(result.error);
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_INVALID',
        file,
        place,
        source === undefined ? message : `${message} (from ${source})`,
      );
    }
    const earlier = seen.get(program.name);
    if (earlier !== undefined) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_INVALID',
        file,
        place,
        `Expected each program name once, got ${JSON.stringify(program.name)} again (first at ${earlier})`,
      );
    }
    seen.set(program.name, place);
  }
  return placed.map(({ program }) => program);
}

/** Line and column (from 1) of a character offset in a text. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset));
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
