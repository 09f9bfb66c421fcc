import type { OutputStream } from '../context.js';

/** Writes a value as indented JSON, as every `--json` prints it. */
export function writeJson(stream: OutputStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}
