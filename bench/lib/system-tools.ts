import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What the pool benchmarks tell a user whose machine lacks nginx or wrk. */
export const INSTALL_HINT = 'install them with `apt-get update && apt-get install -y nginx wrk`';

/** A system command's path: the first candidate that exists, else what the shell finds on PATH. */
export function findCommand(name: string, candidates: readonly string[] = []): string | undefined {
  const found = candidates.find((path) => existsSync(path));
  if (found) return found;
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}
