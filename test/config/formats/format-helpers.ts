import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorCode } from '../../../src/errors.js';
import { TendError } from '../../../src/errors.js';

/** The real-world files of other tools (see its README.md). */
export const FORMAT_FIXTURES = fileURLToPath(
  new URL('../../../../test/fixtures/config-formats/', import.meta.url),
);

/** PM2's own `pm2 init` templates, from the devDependency. */
export const PM2_TEMPLATES = fileURLToPath(
  new URL('../../../../node_modules/pm2/lib/templates/', import.meta.url),
);

/** A temporary folder with these files in it, removed after the test. */
export function folderWith(
  t: { after(fn: () => void): void },
  files: Record<string, string>,
): string {
  const folder = mkdtempSync(join(tmpdir(), 'tend-formats-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

/** Awaits a rejection with this code whose message matches every pattern. */
export async function assertRejects(
  promise: Promise<unknown>,
  code: ErrorCode,
  ...patterns: RegExp[]
): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof TendError, `a TendError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  for (const pattern of patterns) assert.match(error.message, pattern);
  return error.message;
}
