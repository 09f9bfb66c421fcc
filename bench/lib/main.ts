import { pathToFileURL } from 'node:url';
import { runCleanups } from './cleanup.js';
import { type BenchOptions, parseBenchOptions } from './options.js';
import type { BenchResult } from './result.js';

/** A benchmark: runs with the options and returns its report and target checks. */
export type Benchmark = (options: BenchOptions) => Promise<BenchResult>;

/** Runs a benchmark when its module is the entry point (`node dist/bench/<name>.js [--quick]`). */
export function runIfMain(moduleUrl: string, benchmark: Benchmark): void {
  const entry = process.argv[1];
  if (!entry || pathToFileURL(entry).href !== moduleUrl) return;
  void runStandalone(benchmark);
}

async function runStandalone(benchmark: Benchmark): Promise<void> {
  try {
    await benchmark(parseBenchOptions());
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await runCleanups();
  }
}

/** Runs a step for one manager, turning a failure into a message so the other manager's figures still print. */
export async function attempt<T>(label: string, step: () => Promise<T>): Promise<T | Error> {
  try {
    return await step();
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    console.error(`${label}: ${oneLine(failure)}`);
    return failure;
  }
}

const MESSAGE_LIMIT_CHARS = 400;

/** An error's message on one line, shortened, for tables and notes. */
export function oneLine(error: Error): string {
  const flat = error.message.replace(/\s*\n\s*/g, ' ⏎ ').trim();
  return flat.length > MESSAGE_LIMIT_CHARS ? `${flat.slice(0, MESSAGE_LIMIT_CHARS)}…` : flat;
}

/** Prints a line of progress to stderr (the reports go to stdout). */
export function progress(message: string): void {
  process.stderr.write(`  · ${message}\n`);
}
