import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { detectForeignFormat, type ForeignFormat, readForeignConfig } from '../formats/index.js';
import { NewProgramSpecSchema, type ProgramSpec } from '../program-spec.js';
import { ConfigProblems, type Path } from './config-problems.js';
import { describeIssue } from './describe-issue.js';
import { parseEnvFile } from './env-file.js';
import { EnvMapSchema, type ProgramEntryInput, TendFileSchema } from './file-schema.js';
import { prepareEntries } from './prepare-entries.js';
import { addIssue } from './schema-issues.js';
import { SourceDocument } from './source-document.js';

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
  const problems = new ConfigProblems(file);
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
  const problems = new ConfigProblems(options.file);
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

function readEnvFile(
  path: string,
  shown: string,
  field: Path,
  doc: SourceDocument,
  problems: ConfigProblems,
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

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
