/**
 * What every bundle step of `npm run build` (scripts/bundle-*.ts) does around its esbuild call:
 * refuse a build that esbuild warned about, and report a failed step as one line on stderr with a
 * non-zero exit code.
 */
import type { Message } from 'esbuild';

/** Fails the step when esbuild warned (such as about an `import.meta` a script does not handle). */
export function refuseWarnings(warnings: readonly Message[], what: string): void {
  if (warnings.length === 0) return;
  const messages = warnings.map((warning) => warning.text).join('; ');
  throw new Error(`The ${what} was built with warnings: ${messages}`);
}

/** Runs the step `name`; a failure is written as `name: message` and sets the exit code to 1. */
export async function runBuildStep(name: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
