import type { z } from 'zod';

const TYPE_NAMES: Readonly<Record<string, string>> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a map of fields',
  record: 'a map',
  array: 'a list',
};

/** One zod issue as a config file's reader says it: `expected a number ≥ 1, got -1` (parsed with `reportInput`). */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  const got = input === undefined ? '' : `, got ${show(input)}`;
  switch (issue.code) {
    case 'invalid_type':
      return input === undefined
        ? `required: expected ${typeName(issue.expected)}`
        : `expected ${typeName(issue.expected)}${got}`;
    case 'too_small':
      return `expected ${bound(issue.origin, issue.inclusive ? '≥' : '>', issue.minimum, 'at least')}${got}`;
    case 'too_big':
      return `expected ${bound(issue.origin, issue.inclusive ? '≤' : '<', issue.maximum, 'at most')}${got}`;
    case 'invalid_value':
      return `expected ${issue.values.map((value) => show(value)).join(' or ')}${got}`;
    default:
      return lowerFirst(issue.message);
  }
}

function bound(origin: string, sign: string, limit: number | bigint, words: string): string {
  if (origin === 'string') return `${words} ${limit} characters`;
  if (origin === 'array' || origin === 'set') return `${words} ${limit} items`;
  return `a number ${sign} ${limit}`;
}

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** A value as the user wrote it, short. */
export function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function lowerFirst(message: string): string {
  return message.startsWith('Expected ') ? `e${message.slice(1)}` : message;
}
