import { DURATION_FORMS, parseDurationMs, parseSizeBytes, SIZE_FORMS } from '../human-units.js';
import type { ConfigProblems, Path } from './config-problems.js';
import { ENV_SECTION_PATTERN, unitOfField } from './file-schema.js';
import type { SourceDocument } from './source-document.js';

/**
 * What the schema is given: each program entry without its `env_<name>` sections (kept aside in
 * `sections`), with YAML numbers and booleans in env maps as strings, and `2s`/`300M` in
 * duration and size fields as numbers.
 */
export function prepareEntries(
  raw: unknown,
  doc: SourceDocument,
  problems: ConfigProblems,
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
  problems: ConfigProblems,
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

/** Whether a parsed value is a map (not a list, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
