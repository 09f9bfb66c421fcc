import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import type { z } from 'zod';
import { UsageError } from '../../errors.js';
import { closestMatch } from '../closest-match.js';
import { detectForeignFormat, type ForeignFormat, readForeignConfig } from '../formats/index.js';
import { DURATION_FORMS, parseDurationMs, parseSizeBytes, SIZE_FORMS } from '../human-units.js';
import { NewProgramSpecSchema, type ProgramSpec } from '../program-spec.js';
import { describeIssue } from './describe-issue.js';
import { parseEnvFile } from './env-file.js';
import {
  ENV_SECTION_PATTERN,
  EnvMapSchema,
  type ProgramEntryInput,
  TendFileSchema,
  unitOfField,
} from './file-schema.js';
import { SourceDocument, type SourcePosition } from './source-document.js';

/** The programs a file declares, checked and defaulted, ready to compare with the daemon's. */
export interface LoadedConfig {
  /** The path as the user gave it, for messages. */
  file: string;
  /** `tend` for tend.yaml/.json, else the foreign format it was read as. */
  format: 'tend' | ForeignFormat;
  specs: ProgramSpec[];
  /** What a foreign file says that tend does not do. */
  warnings: string[];
}

/** The file `tend apply` reads when none is given. */
export const DEFAULT_CONFIG_FILE = 'tend.yaml';

type Path = readonly PropertyKey[];

/** Problems found in a file, each with its place; thrown together so that a user fixes them in one go. */
interface Problem {
  file: string;
  where: SourcePosition | undefined;
  text: string;
}

class Problems {
  readonly #found: Problem[] = [];
  constructor(readonly file: string) {}

  add(where: SourcePosition | undefined, path: Path, message: string, file = this.file): void {
    const place = where ? `${file}:${where.line}:${where.col}` : file;
    const field = path.length > 0 ? `${path.map(String).join('.')}: ` : '';
    this.#found.push({ file, where, text: `${place}: ${field}${message}` });
  }

  /** In the order of the file (the config file first, then env files), as an editor lists them. */
  get lines(): string[] {
    const rank = (entry: Problem) =>
      (entry.file === this.file ? 0 : 1e12) +
      (entry.where?.line ?? 0) * 1e6 +
      (entry.where?.col ?? 0);
    return [...this.#found].sort((a, b) => rank(a) - rank(b)).map((entry) => entry.text);
  }

  throwIfAny(): void {
    if (this.#found.length === 0) return;
    const lines = this.lines;
    throw new UsageError(
      'TEND_ERR_CONFIG_INVALID',
      `${lines.join('\n')}\n${lines.length === 1 ? 'This problem' : `These ${lines.length} problems`} must be fixed first; nothing was changed`,
    );
  }
}

/**
 * Reads a config file for `tend apply`: tend.yaml (.yml, .json), or a foreign format that
 * formats/ recognises. Every program is checked with the API's own schema before anything is
 * sent, so a file with one bad program changes nothing.
 */
export async function loadConfig(
  file: string,
  options: { cwd: string; envName?: string | undefined },
): Promise<LoadedConfig> {
  const path = resolve(options.cwd, file);
  const foreign = detectForeignFormat(path);
  if (foreign !== null) {
    const config = await readForeignConfig(path, foreign, { envName: options.envName });
    return {
      file,
      format: foreign,
      specs: checkForeignPrograms(file, config.programs),
      warnings: config.warnings,
    };
  }
  const text = readText(path, file);
  return {
    file,
    format: 'tend',
    specs: parseTendFile(text, { file, path, envName: options.envName }),
    warnings: [],
  };
}

/** Checks the programs a foreign reader produced, with the same schema; names must be unique. */
function checkForeignPrograms(file: string, programs: readonly unknown[]): ProgramSpec[] {
  const problems = new Problems(file);
  const specs: ProgramSpec[] = [];
  const seen = new Set<string>();
  for (const [index, program] of programs.entries()) {
    const result = NewProgramSpecSchema.safeParse(program, { reportInput: true });
    const name = (program as { name?: unknown }).name;
    const prefix = ['programs', typeof name === 'string' ? name : index];
    if (!result.success) {
      for (const issue of result.error.issues)
        problems.add(undefined, [...prefix, ...issue.path], describeIssue(issue));
      continue;
    }
    if (seen.has(result.data.name))
      problems.add(undefined, prefix, 'this name is given to two programs; each name once');
    seen.add(result.data.name);
    specs.push(result.data);
  }
  problems.throwIfAny();
  return specs;
}

function readText(path: string, shown: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file; write one (docs/configuration.md) or name it with -f'
        : code === 'EISDIR'
          ? 'it is a directory; name the file'
          : (error as Error).message;
    throw new UsageError('TEND_ERR_CONFIG_UNREADABLE', `Cannot read ${shown}: ${why}`, {
      cause: error,
    });
  }
}

/**
 * Parses the text of a tend.yaml into checked program definitions: `cwd` and `envFile` resolved
 * against the file's directory, `env` = envFile < `env` < `env_<envName>`, durations and sizes in
 * their text forms turned into numbers. Throws TEND_ERR_CONFIG_INVALID listing every problem.
 */
export function parseTendFile(
  text: string,
  options: { file: string; path: string; envName?: string | undefined },
): ProgramSpec[] {
  const problems = new Problems(options.file);
  const doc = new SourceDocument(text, { isJson: extname(options.path).toLowerCase() === '.json' });
  for (const problem of doc.problems) problems.add(problem.position, [], problem.message);
  problems.throwIfAny();

  const raw = doc.value ?? {};
  const sections = new Map<string, Map<string, unknown>>();
  const prepared = prepareEntries(raw, doc, problems, sections);
  const parsed = TendFileSchema.safeParse(prepared, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) addIssue(problems, doc, [], issue);
  }
  for (const [name, byEnv] of sections) {
    for (const [envName, value] of byEnv) {
      const result = EnvMapSchema.safeParse(value, { reportInput: true });
      if (!result.success) {
        for (const issue of result.error.issues)
          addIssue(problems, doc, ['programs', name, `env_${envName}`], issue);
      }
    }
  }
  problems.throwIfAny();
  if (!parsed.success) return [];

  const { envName } = options;
  if (envName !== undefined && ![...sections.values()].some((byEnv) => byEnv.has(envName))) {
    const known = [...new Set([...sections.values()].flatMap((byEnv) => [...byEnv.keys()]))];
    problems.add(
      undefined,
      [],
      `--env ${envName}: no program has an \`env_${envName}\` section (${known.length > 0 ? `the file has ${known.map((name) => `env_${name}`).join(', ')}` : 'the file has none'})`,
    );
  }
  const dir = dirname(options.path);
  const specs: ProgramSpec[] = [];
  for (const [name, entry] of Object.entries(parsed.data.programs)) {
    const at = ['programs', name];
    const { envFile, cwd, ...settings } = entry as ProgramEntryInput;
    const env: Record<string, string> = {};
    if (envFile !== undefined) {
      Object.assign(
        env,
        readEnvFile(resolve(dir, envFile), envFile, [...at, 'envFile'], doc, problems),
      );
    }
    Object.assign(env, settings.env ?? {});
    if (envName !== undefined) Object.assign(env, sections.get(name)?.get(envName) ?? {});
    const absoluteCwd = resolve(dir, cwd ?? '.');
    if (!isDirectory(absoluteCwd)) {
      problems.add(
        doc.positionOf([...at, 'cwd']),
        [...at, 'cwd'],
        `expected a directory, got ${absoluteCwd} (relative paths start at the file's directory)`,
      );
    }
    const result = NewProgramSpecSchema.safeParse(
      { ...settings, name, cwd: absoluteCwd, env },
      { reportInput: true },
    );
    if (result.success) specs.push(result.data);
    else for (const issue of result.error.issues) addIssue(problems, doc, at, issue);
  }
  problems.throwIfAny();
  return specs;
}

/**
 * What the schema is given: each program entry without its `env_<name>` sections (kept aside in
 * `sections`), with YAML numbers and booleans in env maps as strings, and `2s`/`300M` in
 * duration and size fields as numbers.
 */
function prepareEntries(
  raw: unknown,
  doc: SourceDocument,
  problems: Problems,
  sections: Map<string, Map<string, unknown>>,
): unknown {
  if (!isPlainObject(raw) || !isPlainObject(raw.programs)) return raw;
  const programs: Record<string, unknown> = {};
  for (const [name, entry] of Object.entries(raw.programs)) {
    if (!isPlainObject(entry)) {
      programs[name] = entry;
      continue;
    }
    const kept: Record<string, unknown> = {};
    const byEnv = new Map<string, unknown>();
    for (const [key, value] of Object.entries(entry)) {
      const envName = ENV_SECTION_PATTERN.exec(key)?.[1];
      if (envName !== undefined) byEnv.set(envName, stringifyScalars(value));
      else if (key === 'env') kept[key] = stringifyScalars(value);
      else kept[key] = value;
    }
    sections.set(name, byEnv);
    programs[name] = convertUnits(kept, ['programs', name], doc, problems);
  }
  return { ...raw, programs };
}

/** Turns `2s` in a `…Ms` field and `300M` in a `…Bytes` field into numbers, at any depth. */
function convertUnits(
  value: unknown,
  path: Path,
  doc: SourceDocument,
  problems: Problems,
): unknown {
  if (Array.isArray(value))
    return value.map((item, index) => convertUnits(item, [...path, index], doc, problems));
  if (!isPlainObject(value)) return value;
  const converted: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const unit = unitOfField(key);
    if (unit !== undefined && typeof item === 'string') {
      const number = unit === 'duration' ? parseDurationMs(item) : parseSizeBytes(item);
      if (number === undefined) {
        problems.add(
          doc.positionOf([...path, key]),
          [...path, key],
          `expected ${unit === 'duration' ? DURATION_FORMS : SIZE_FORMS}; got ${JSON.stringify(item)}`,
        );
      }
      // Left out when unreadable: the problem is reported once, not again as "expected a number".
      if (number !== undefined) converted[key] = number;
    } else if (key === 'env') {
      converted[key] = item;
    } else {
      converted[key] = convertUnits(item, [...path, key], doc, problems);
    }
  }
  return converted;
}

/** Env values written as YAML numbers or booleans (`WORKERS: 4`) are the strings they look like. */
function stringifyScalars(value: unknown): unknown {
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      typeof item === 'number' || typeof item === 'boolean' ? String(item) : item,
    ]),
  );
}

function readEnvFile(
  path: string,
  shown: string,
  field: Path,
  doc: SourceDocument,
  problems: Problems,
): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.add(
      doc.positionOf(field),
      field,
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
    return {};
  }
  const { values, problems: fileProblems } = parseEnvFile(text);
  for (const problem of fileProblems) {
    problems.add(
      problem.position,
      [],
      `${problem.message} (the envFile of ${field.slice(0, -1).map(String).join('.')})`,
      shown,
    );
  }
  return values;
}

/** Adds one zod issue with its place in the file; an unknown field gets a "did you mean". */
function addIssue(
  problems: Problems,
  doc: SourceDocument,
  prefix: Path,
  issue: z.core.$ZodIssue,
): void {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'unrecognized_keys') {
    problems.add(doc.positionOf(path), path, describeIssue(issue));
    return;
  }
  const candidates = fieldNamesAt(path);
  for (const key of issue.keys) {
    const guess = closestMatch(key, candidates);
    const isProgram = path.length === 2 && path[0] === 'programs';
    const hint = guess
      ? `; did you mean \`${guess}\`?`
      : isProgram && key === 'name'
        ? ": a program's name is its key under `programs`"
        : ' (`tend schema` lists the fields; docs/configuration.md explains them)';
    problems.add(
      doc.positionOf([...path, key], { isKey: true }),
      [...path, key],
      `unknown field${hint}`,
    );
  }
}

/** The field names the file schema allows at a path (for "did you mean"). */
function fieldNamesAt(path: Path): string[] {
  let node = unwrap(TendFileSchema as unknown as ZodNode);
  for (const segment of path) {
    const def = node._zod.def;
    const next =
      def.type === 'object'
        ? def.shape?.[String(segment)]
        : def.type === 'record'
          ? def.valueType
          : def.type === 'array'
            ? def.element
            : undefined;
    if (!next) return [];
    node = unwrap(next);
  }
  const shape = node._zod.def.shape;
  return shape ? Object.keys(shape) : [];
}

interface ZodNode {
  _zod: {
    def: {
      type: string;
      innerType?: ZodNode;
      in?: ZodNode;
      shape?: Record<string, ZodNode>;
      valueType?: ZodNode;
      element?: ZodNode;
    };
  };
}

/** Looks through optional, default and pipe wrappers to the schema that has the shape. */
function unwrap(node: ZodNode): ZodNode {
  let current = node;
  for (;;) {
    const def = current._zod.def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
