import type { CliContextOptions } from '../../src/cli/create-context.js';
import { main } from '../../src/cli/main.js';

/** A stream that keeps what was written, standing in for stdout or stderr. */
export class CapturedStream {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** What one in-process CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A launcher that fails at once, so a test that reaches the daemon by mistake fails instead of starting one. */
export const FAILING_LAUNCHER = { file: process.execPath, args: ['-e', 'process.exit(7)'] };

/** Runs `tend <argv>` in this process with captured output and a given TEND_HOME. */
export async function runTend(
  argv: string[],
  home: string,
  options: CliContextOptions = {},
): Promise<CliRun> {
  const stdout = new CapturedStream();
  const stderr = new CapturedStream();
  const code = await main(argv, {
    env: { TEND_HOME: home, PATH: process.env.PATH },
    cwd: home,
    stdout,
    stderr,
    launcher: FAILING_LAUNCHER,
    ...options,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
