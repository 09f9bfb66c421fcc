import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** Makes a fresh temporary TEND_HOME and removes it when the test ends. */
export function makeTempHome(
  t: TestContext | { after(fn: () => void): void },
  prefix = 'tend-test-',
): string {
  const home = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
}
