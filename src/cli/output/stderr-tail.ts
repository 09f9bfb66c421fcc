import type { ApiClient } from '../../api/client.js';
import type { LogLine, ProgramDetail } from '../../api/wire.js';

/** How many stderr lines `tend status` and `tend start` show for a program that fails. */
export const STDERR_TAIL_LINES = 5;

/** Whether a program has an instance that is errored or waiting after a crash: its stderr likely says why. */
export function isFailing(program: ProgramDetail): boolean {
  return program.instances.some(
    (instance) => instance.status === 'errored' || instance.status === 'waiting',
  );
}

/** The last lines a program wrote to stderr, oldest first, with the instance each came from. */
export async function readStderrTail(
  client: ApiClient,
  name: string,
  lines = STDERR_TAIL_LINES,
): Promise<LogLine[]> {
  const tail: LogLine[] = [];
  await client.streamLogs({ name, lines, stream: 'err', isFollowing: false }, (line) =>
    tail.push(line),
  );
  return tail.slice(-lines);
}

/** The stderr tail as an indented block under a heading, or '' when there is none. */
export function formatStderrTail(tail: readonly LogLine[], dim: (text: string) => string): string {
  if (tail.length === 0) return '';
  const rows = tail.map((line) => `    ${dim(`${line.name}:${line.instance}`)} ${line.line}`);
  return `  last stderr:\n${rows.join('\n')}\n`;
}
