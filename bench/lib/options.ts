/** Command-line options shared by every benchmark. */
export interface BenchOptions {
  /** A short run: fewer samples and shorter waits, for a smoke test. */
  isQuick: boolean;
}

/** Reads the benchmark options from argv (`--quick`). */
export function parseBenchOptions(argv: readonly string[] = process.argv.slice(2)): BenchOptions {
  return { isQuick: argv.includes('--quick') };
}
