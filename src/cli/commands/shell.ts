import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { splitCommandLine } from '../../config/split-command-line.js';
import { UsageError } from '../../errors.js';
import type { ParsedArgs } from '../command-types.js';
import { completeWords } from '../complete-words.js';
import type { CliContext } from '../context.js';
import { reportError, runCommandLine } from '../main.js';

/** How many lines the shell remembers across sessions. */
export const SHELL_HISTORY_SIZE = 1000;

const PROMPT = 'tend> ';
const EXIT_WORDS = new Set(['exit', 'quit']);

/** `tend shell`: an interactive prompt on the terminal. */
export async function run(_args: ParsedArgs, ctx: CliContext): Promise<number> {
  if (ctx.isInShell) throw new UsageError('TEND_ERR_USAGE', 'Already in `tend shell`');
  return runShell(ctx, process.stdin, process.stdout);
}

/**
 * Reads command lines until `exit` or end of input and runs each in this process; an error
 * ends only its command. Ctrl-C interrupts the running command (such as `logs -f`), not the
 * shell. Like sh, it exits with the exit code of the last command it ran.
 */
export async function runShell(
  ctx: CliContext,
  input: Readable,
  output: Writable,
): Promise<number> {
  const historyPath = join(ctx.home, 'shell_history');
  const isTerminal =
    (output as { isTTY?: boolean }).isTTY === true && (input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({
    input,
    output,
    // Commands piped in (`tend shell < script`) get their output without prompts in between.
    prompt: isTerminal ? PROMPT : '',
    terminal: isTerminal,
    history: readHistory(historyPath),
    historySize: SHELL_HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string, callback: (error: null, result: [string[], string]) => void) => {
      completeLine(ctx, line).then(
        (result) => callback(null, result),
        () => callback(null, [[], '']),
      );
    },
  });
  rl.on('history', (history: string[]) => writeHistory(ctx.home, historyPath, history));
  let running: AbortController | undefined;
  rl.on('SIGINT', () => {
    if (running) {
      running.abort();
      return;
    }
    output.write('^C (type exit or press Ctrl-D to quit)\n');
    rl.write(null, { ctrl: true, name: 'u' });
    rl.prompt();
  });

  rl.prompt();
  let lastExitCode = 0;
  for await (const line of rl) {
    running = new AbortController();
    const outcome = await runLine(line, ctx.fork({ signal: running.signal, isInShell: true }));
    running = undefined;
    // Lines typed ahead of `exit` are still queued in the iterator: leave them unread.
    if (outcome === 'exit') break;
    if (outcome !== 'empty') lastExitCode = outcome;
    rl.prompt();
  }
  rl.close();
  return lastExitCode;
}

/** Runs one line: its exit code, `empty` for a blank line, or `exit`. */
async function runLine(line: string, ctx: CliContext): Promise<number | 'empty' | 'exit'> {
  let words: string[];
  try {
    words = splitCommandLine(line);
  } catch (error) {
    return reportError(error, ctx);
  }
  if (words[0] === 'tend') words.shift();
  if (words.length === 0) return 'empty';
  if (EXIT_WORDS.has(words[0] as string)) return 'exit';
  return runCommandLine(words, ctx);
}

async function completeLine(ctx: CliContext, line: string): Promise<[string[], string]> {
  let words: string[];
  try {
    words = splitCommandLine(line);
  } catch {
    words = line.trim().split(/\s+/);
  }
  if (line === '' || /\s$/.test(line)) words.push('');
  if (words[0] === 'tend' && words.length > 1) words.shift();
  const programNames = async () => {
    const client = await ctx.client({ isAutostart: false });
    return (await client.listPrograms()).map((program) => program.name);
  };
  const completions = await completeWords(words, programNames);
  const current = words.at(-1) ?? '';
  const extra =
    words.length === 1 ? [...EXIT_WORDS].filter((word) => word.startsWith(current)) : [];
  return [[...completions, ...extra], current];
}

function readHistory(path: string): string[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .reverse()
      .slice(0, SHELL_HISTORY_SIZE);
  } catch {
    return [];
  }
}

function writeHistory(home: string, path: string, newestFirst: readonly string[]): void {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    writeFileSync(path, `${[...newestFirst].reverse().join('\n')}\n`, { mode: 0o600 });
  } catch {
    // history is a convenience: a read-only home must not break the shell
  }
}
