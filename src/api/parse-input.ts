import type { z } from 'zod';
import { describeIssues } from '../config/program-spec.js';
import { UsageError } from '../errors.js';

/** Validates a request body, parameter set or query with a zod schema; throws TEND_ERR_API_INVALID_BODY saying what was expected. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new UsageError(
      'TEND_ERR_API_INVALID_BODY',
      `Invalid ${what}: ${describeIssues(result.error)}`,
    );
  }
  return result.data;
}
