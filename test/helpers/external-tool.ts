import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Why a test that needs an outside tool (Chromium, promtool: Debian packages that .ci/run
 * installs) cannot run here, or undefined when it can. On a developer's machine with only Node
 * and npm such a test is skipped with this reason, so `npm test` stays green there; under CI
 * (`CI` set) it always runs, and a missing tool fails it.
 */
export function missingToolReason(command: string, debianPackage: string): string | undefined {
  if (isInstalled(command) || process.env.CI) return undefined;
  return `${command} is not installed (apt-get install ${debianPackage}; .ci/run installs it)`;
}

function isInstalled(command: string): boolean {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((folder) => join(folder, command));
  return candidates.some((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
