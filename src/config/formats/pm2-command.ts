import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { splitCommandLine } from '../split-command-line.js';
import type { Fail } from './pm2-app.js';
import { INTERPRETER_BY_EXTENSION } from './pm2-fields.js';

/** The command line of a PM2 app, and the interpreter it runs under (`none`, or `shell`). */
export interface Pm2CommandLine {
  command: string;
  args?: string[];
  isShell?: true;
  interpreter: string;
}

/** Builds an app's command line as PM2 does: `<interpreter> <interpreter args> <script> <args>`. */
export function pm2CommandLine(
  app: Record<string, unknown>,
  scriptText: string,
  cwd: string,
  fail: Fail,
  warn: (field: string, reason: string) => void,
): Pm2CommandLine {
  const interpreter = stringOf(app, 'interpreter', fail) ?? stringOf(app, 'exec_interpreter', fail);
  const args = wordList(app.args, 'args', fail);
  const interpreterArgs = wordList(
    app.node_args ?? app.interpreter_args ?? app.interpreterArgs,
    'node_args',
    fail,
  );
  if (interpreter === undefined && /\s/.test(scriptText)) {
    // PM2 runs a script with spaces as `bash -c "<script>"`, dropping `args`.
    if (args.length > 0) warn('args', 'PM2 ignores `args` when `script` is a command line');
    return { command: scriptText, isShell: true, interpreter: 'shell' };
  }
  const resolved =
    interpreter ??
    INTERPRETER_BY_EXTENSION[extname(scriptText)] ??
    interpreterForOtherScript(scriptText, cwd);
  if (resolved === 'none') {
    if (interpreterArgs.length > 0)
      warn('node_args', 'the script is run directly, without an interpreter');
    const command = scriptText.includes('/') ? resolve(cwd, scriptText) : scriptText;
    return { command, args, interpreter: 'none' };
  }
  let command = resolved;
  if (resolved.startsWith('node@')) {
    warn(
      'interpreter',
      `tend does not install Node.js versions (${resolved}); \`node\` from PATH is used`,
    );
    command = 'node';
  }
  return {
    command,
    args: [...interpreterArgs, resolve(cwd, scriptText), ...args],
    interpreter: command,
  };
}

function stringOf(app: Record<string, unknown>, field: string, fail: Fail): string | undefined {
  const value = app[field];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : fail(field, 'a string', value);
}

/** A PM2 list of words: an array, or a string split as a shell would split plain words (no shell runs). */
function wordList(value: unknown, field: string, fail: Fail): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    if (value.some((word) => typeof word === 'object')) fail(field, 'an array of strings', value);
    return value.map(String);
  }
  if (typeof value === 'number') return [String(value)];
  if (typeof value !== 'string') return fail(field, 'a string or an array of strings', value);
  try {
    return splitCommandLine(value);
  } catch (error) {
    return fail(field, `words with balanced quotes (${(error as Error).message})`, value);
  }
}

/**
 * What PM2 runs a script with when its extension names no interpreter: a command found through
 * PATH, a binary, or a script with a `#!` line is run directly; a folder or any other file (or one
 * not there yet, such as a build output) is run with node, as PM2 does.
 */
function interpreterForOtherScript(script: string, cwd: string): string {
  const path = resolve(cwd, script);
  let descriptor: number | undefined;
  try {
    if (statSync(path).isDirectory()) return 'node';
    descriptor = openSync(path, 'r');
    const head = Buffer.alloc(512);
    const length = readSync(descriptor, head, 0, head.length, 0);
    const bytes = head.subarray(0, length);
    return bytes.includes(0) || bytes.toString('latin1').startsWith('#!') ? 'none' : 'node';
  } catch {
    return script.includes('/') ? 'node' : 'none';
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
