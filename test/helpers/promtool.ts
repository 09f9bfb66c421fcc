import { spawn } from 'node:child_process';

/** What promtool said. */
export interface PromtoolVerdict {
  ok: boolean;
  /** promtool's output (for `check metrics`: empty when the exposition is clean). */
  problems: string;
}

const INSTALL_HINT =
  'promtool is not installed: it comes with the Debian package `prometheus` (apt-get install -y prometheus); .ci/run installs it';

/**
 * Runs promtool with `args`, `stdin` on its standard input. Throws, saying how to install it,
 * when promtool is missing: these checks are required, never skipped.
 */
export function runPromtool(
  args: string[],
  stdin = '',
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new Error(INSTALL_HINT) : error);
    });
    child.on('close', (code) => resolve({ code, output: output.trim() }));
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  });
}

/** `promtool check metrics` on an exposition: it lints names, types, units and the format. */
export async function checkWithPromtool(text: string): Promise<PromtoolVerdict> {
  const { code, output } = await runPromtool(['check', 'metrics'], text);
  return { ok: code === 0 && output === '', problems: output };
}
