import { randomBytes } from 'node:crypto';

/** The longest task or lease id tend accepts: ids travel in URL paths and headers. */
export const MAX_TASK_ID_LENGTH = 64;

const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/**
 * Why `id` cannot name a task (or null when it can): letters, digits, `_` and `-`, starting with
 * a letter or digit, at most MAX_TASK_ID_LENGTH characters. No `/`, `.` or `%`, so that an id is
 * one path segment as written, whatever decodes it. Lease ids follow the same rule; `what` names
 * the kind of id in the message.
 */
export function taskIdProblem(id: string, what = 'task id'): string | null {
  if (id.length === 0) return `Expected a ${what}, got an empty one`;
  if (id.length > MAX_TASK_ID_LENGTH) {
    return `Expected a ${what} of at most ${MAX_TASK_ID_LENGTH} characters, got ${id.length}`;
  }
  if (!TASK_ID_PATTERN.test(id)) {
    return `Expected a ${what} of letters, digits, \`_\` and \`-\` that starts with a letter or digit, got ${JSON.stringify(id)}`;
  }
  return null;
}

/** Path segments that name routes of a task program's proxy port (`/<name>/new`, …), so never a task id. */
export const RESERVED_TASK_IDS: readonly string[] = ['new', 'allocate', 'leases'];

/** Why `id` cannot be chosen for a new task (taskIdProblem, or one of RESERVED_TASK_IDS), or null. */
export function wantedTaskIdProblem(id: string): string | null {
  const problem = taskIdProblem(id);
  if (problem !== null) return problem;
  if (RESERVED_TASK_IDS.includes(id)) {
    return `Expected a task id other than ${JSON.stringify(id)}: \`/<name>/${id}\` is a route of the proxy port`;
  }
  return null;
}

/** A fresh random id (`t` + 16 base32-like characters): unguessable, so an id is also a capability. */
export function newTaskId(prefix = 't'): string {
  return `${prefix}${randomBytes(10).toString('base64url').replaceAll(/[-_]/g, 'x').toLowerCase()}`;
}
