import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The numbers a counter wrote, as the log files of instance 0 hold them, oldest first. */
export function loggedNumbers(home: string, name: string): number[] {
  const dir = join(home, 'logs', name);
  const files = readdirSync(dir)
    .filter((file) => file.startsWith('0.out.log'))
    .sort((a, b) => generation(b) - generation(a));
  const numbers: number[] = [];
  for (const file of files) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line === '') continue;
      numbers.push(Number(line.slice(line.indexOf(' ') + 1)));
    }
  }
  return numbers;
}

function generation(file: string): number {
  const match = /\.log\.(\d+)$/.exec(file);
  return match ? Number(match[1]) : 0;
}

/** Fails unless `numbers` is 1, 2, 3, … with nothing missing, repeated or out of order. */
export function assertEveryNumberOnce(numbers: number[], what: string): void {
  assert.ok(numbers.length > 0, `${what}: some lines were logged`);
  const wrong = numbers.findIndex((value, index) => value !== index + 1);
  assert.equal(
    wrong,
    -1,
    `${what}: line ${wrong + 1} of ${numbers.length} is ${numbers[wrong]}, expected ${wrong + 1} (around: ${numbers.slice(Math.max(0, wrong - 3), wrong + 3).join(',')})`,
  );
}
