import { spawn } from 'node:child_process';

/** What `promtool check metrics` said about an exposition. */
export interface PromtoolVerdict {
  ok: boolean;
  /** promtool's output: empty when the exposition is clean. */
  problems: string;
}

const INSTALL_HINT =
  'promtool is not installed: it comes with the Debian package `prometheus` (apt-get install -y prometheus); .ci/run installs it';

/**
 * Runs `promtool check metrics` on `text` (it lints names, types, units and the format). Throws,
 * saying how to install it, when promtool is missing: the check is required, never skipped.
 */
export function checkWithPromtool(text: string): Promise<PromtoolVerdict> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
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
    child.on('close', (code) => {
      const problems = output.trim();
      resolve({ ok: code === 0 && problems === '', problems });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(text);
  });
}
