import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, extname } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import {
  checkPrograms,
  type ForeignConfig,
  foreignError,
  lineColumnOf,
  type PlacedProgram,
  type ReadForeignOptions,
} from './foreign-config.js';
import { mapPm2App } from './pm2-app.js';
import { loadJavaScriptConfig } from './pm2-js-loader.js';

/** Top-level keys of an ecosystem file besides the apps. */
const IGNORED_TOP_LEVEL: Readonly<Record<string, string>> = {
  deploy: "PM2's deployment is not part of tend; keep using your deploy tool",
};

/** An ecosystem file's content as data, and the line of each app where the format tells it. */
interface LoadedEcosystem {
  value: unknown;
  appLines: Array<number | undefined>;
}

/**
 * Reads a PM2 ecosystem file (`.js`, `.cjs`, `.mjs`, `.json`, `.yaml`, `.yml`) into tend programs.
 * A JavaScript file is code: it is run, in a separate Node process with a time limit.
 */
export async function readPm2Ecosystem(
  file: string,
  options: ReadForeignOptions = {},
): Promise<ForeignConfig> {
  const loaded = await loadEcosystem(file, options);
  const { apps, warnings } = appsOf(file, loaded.value);
  const placed: PlacedProgram[] = [];
  const context = {
    file,
    baseDir: dirname(file),
    envName: options.envName,
    cpuCount: options.cpuCount ?? availableParallelism(),
    isDump: false,
  };
  apps.forEach((app, index) => {
    const line = loaded.appLines[index];
    const named = typeof app.name === 'string' ? `app ${JSON.stringify(app.name)}` : 'app';
    const place = line === undefined ? `${named} (apps[${index}])` : `line ${line}: ${named}`;
    const mapped = mapPm2App(app, place, context);
    placed.push(mapped.placed);
    warnings.push(...mapped.warnings);
  });
  return { programs: checkPrograms(file, placed), warnings };
}

async function loadEcosystem(file: string, options: ReadForeignOptions): Promise<LoadedEcosystem> {
  const extension = extname(file).toLowerCase();
  if (extension === '.js' || extension === '.cjs' || extension === '.mjs') {
    return { value: await loadJavaScriptConfig(file, options.scriptTimeoutMs), appLines: [] };
  }
  const text = await readText(file);
  if (extension === '.yaml' || extension === '.yml') return parseYaml(file, text);
  return { value: parseJson(file, text), appLines: [] };
}

/** The file's text; a missing or unreadable file is named with its full path, and `missingHint` says where one comes from. */
export async function readText(file: string, missingHint?: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? `no such file: ${file}${missingHint === undefined ? '' : ` (${missingHint})`}`
        : (error as Error).message;
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_UNREADABLE',
      file,
      undefined,
      `Expected a readable file: ${reason}`,
      error,
    );
  }
}

/** JSON with the line and column of a syntax error. */
export function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = jsonErrorOffset(message, text);
    const { line, column } = lineColumnOf(text, offset);
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_SYNTAX',
      file,
      `${line}:${column}`,
      `Expected valid JSON: ${message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '')} (PM2 reads .json files as JavaScript; tend reads them as JSON: remove comments and trailing commas, or rename the file to .js)`,
      error,
    );
  }
}

/**
 * Where JSON.parse stopped: V8 says "at position N" for most errors, but for an unexpected
 * token only which one, so that token's first place outside a string is taken.
 */
function jsonErrorOffset(message: string, text: string): number {
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return Number(position);
  const token = /^Unexpected token '(.)'/su.exec(message)?.[1];
  if (token === undefined) return text.length;
  let isInString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (isInString && char === '\\') index++;
    else if (char === '"') isInString = !isInString;
    else if (!isInString && char === token) return index;
  }
  return text.length;
}

function parseYaml(file: string, text: string): LoadedEcosystem {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const [problem] = document.errors;
  if (problem !== undefined) {
    const { line, col } = lineCounter.linePos(problem.pos[0]);
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_SYNTAX',
      file,
      `${line}:${col}`,
      `Expected valid YAML: ${problem.message.split('\n')[0]}`,
    );
  }
  const root = document.contents;
  const appsNode = isMap(root) ? (root.get('apps', true) ?? root.get('pm2', true)) : root;
  const items = isSeq(appsNode) ? appsNode.items : isMap(appsNode) ? [appsNode] : [];
  const appLines = items.map((item) => {
    const offset = (item as { range?: [number, number, number] }).range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  });
  return { value: document.toJS(), appLines };
}

/** The apps of an ecosystem file as PM2 finds them: `apps`, `pm2`, an array, or one app. */
function appsOf(
  file: string,
  value: unknown,
): { apps: Record<string, unknown>[]; warnings: string[] } {
  if (typeof value !== 'object' || value === null) {
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_INVALID',
      file,
      undefined,
      `Expected an object with \`apps\`, got ${JSON.stringify(value)}`,
    );
  }
  const warnings: string[] = [];
  const record = value as Record<string, unknown>;
  let list: unknown = value;
  if (!Array.isArray(value) && ('apps' in record || 'pm2' in record)) {
    list = record.apps ?? record.pm2;
    for (const key of Object.keys(record)) {
      if (key === 'apps' || key === 'pm2') continue;
      const reason = IGNORED_TOP_LEVEL[key] ?? 'not a PM2 ecosystem key tend knows';
      warnings.push(`\`${key}\` is not supported by tend, ignored: ${reason}`);
    }
  }
  const apps = Array.isArray(list) ? list : [list];
  if (apps.length === 0) {
    throw foreignError(
      'TEND_ERR_CONFIG_IMPORT_INVALID',
      file,
      'apps',
      'Expected at least one app, got none',
    );
  }
  apps.forEach((app, index) => {
    if (typeof app !== 'object' || app === null || Array.isArray(app)) {
      throw foreignError(
        'TEND_ERR_CONFIG_IMPORT_INVALID',
        file,
        `apps[${index}]`,
        `Expected an app object with \`script\`, got ${JSON.stringify(app)}`,
      );
    }
  });
  return { apps: apps as Record<string, unknown>[], warnings };
}
