import { isDeepStrictEqual } from 'node:util';
import { stringify } from 'yaml';
import { type ProgramSpec, ProgramSpecSchema } from '../program-spec.js';

/** Fields written first, so that an entry reads as "run this, there". */
const LEADING_FIELDS = ['command', 'args', 'cwd'];

/**
 * A program as a tend.yaml entry, without what its defaults would give back: a field (or a field
 * of a map, such as `proxy.host`) is left out when parsing the entry without it gives the same
 * definition. Asking the schema, not a list of defaults, keeps this true for fields added later
 * and for defaults derived from other fields (`min`, `max`, `readiness`).
 */
export function minimalEntry(spec: ProgramSpec): Record<string, unknown> {
  const { name: _name, ...fields } = structuredClone(spec) as Record<string, unknown>;
  const trial: Record<string, unknown> = { ...fields };
  const isSame = () => {
    const parsed = ProgramSpecSchema.safeParse({ ...trial, name: spec.name });
    return parsed.success && isDeepStrictEqual(parsed.data, spec);
  };
  // Last field first: a field derived from earlier ones (`max` from `instances`) goes before them.
  for (const key of Object.keys(fields).reverse()) {
    const value = trial[key];
    delete trial[key];
    if (isSame()) continue;
    trial[key] = value;
    if (key === 'env' || !isMap(value)) continue;
    for (const inner of Object.keys(value).reverse()) {
      const innerValue = value[inner];
      delete value[inner];
      if (!isSame()) value[inner] = innerValue;
    }
  }
  const order = [...new Set([...LEADING_FIELDS, ...Object.keys(fields)])];
  return Object.fromEntries(order.filter((key) => key in trial).map((key) => [key, trial[key]]));
}

/** The programs as a tend.yaml that `tend apply` reads back into the same definitions. */
export function exportTendFile(specs: readonly ProgramSpec[]): string {
  const programs = Object.fromEntries(specs.map((spec) => [spec.name, minimalEntry(spec)]));
  const header = [
    '# Written by `tend export`; `tend apply -f <this file>` makes a daemon run these programs.',
    '# Editors check it with the schema of `tend schema > tend.schema.json`:',
    '# yaml-language-server: $schema=./tend.schema.json',
  ].join('\n');
  return `${header}\n${stringify({ programs }, { lineWidth: 0 })}`;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
