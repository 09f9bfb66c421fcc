import { UsageError } from '../../errors.js';
import type { SourcePosition } from './source-document.js';

/** Where a value is in the file: `programs.web.instances`. */
export type Path = readonly PropertyKey[];

interface Problem {
  file: string;
  where: SourcePosition | undefined;
  text: string;
}

/** Problems found in a file, each with its place; thrown together so that a user fixes them in one go. */
export class ConfigProblems {
  readonly #found: Problem[] = [];
  constructor(readonly file: string) {}

  add(where: SourcePosition | undefined, path: Path, message: string, file = this.file): void {
    const place = where ? `${file}:${where.line}:${where.col}` : file;
    const field = path.length > 0 ? `${path.map(String).join('.')}: ` : '';
    this.#found.push({ file, where, text: `${place}: ${field}${message}` });
  }

  /** In the order of the file (the config file first, then env files), as an editor lists them. */
  get lines(): string[] {
    const rank = (entry: Problem) =>
      (entry.file === this.file ? 0 : 1e12) +
      (entry.where?.line ?? 0) * 1e6 +
      (entry.where?.col ?? 0);
    return [...this.#found].sort((a, b) => rank(a) - rank(b)).map((entry) => entry.text);
  }

  throwIfAny(): void {
    if (this.#found.length === 0) return;
    const lines = this.lines;
    throw new UsageError(
      'TEND_ERR_CONFIG_INVALID',
      `${lines.join('\n')}\n${lines.length === 1 ? 'This problem' : `These ${lines.length} problems`} must be fixed first; nothing was changed`,
    );
  }
}
