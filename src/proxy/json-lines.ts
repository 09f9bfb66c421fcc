import type { Socket } from 'node:net';

/** Reads newline-delimited JSON from `socket`: each parsed value goes to `onValue`, each line that is not JSON to `onBadLine`. A line over `maxLineBytes` ends the connection. */
export function readJsonLines(
  socket: Socket,
  maxLineBytes: number,
  onValue: (value: unknown) => void,
  onBadLine: (problem: string) => void,
): void {
  let partial = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    let data = partial + text;
    let newline = data.indexOf('\n');
    while (newline !== -1) {
      const line = data.slice(0, newline).trim();
      data = data.slice(newline + 1);
      if (line !== '') {
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          onBadLine(`Expected a JSON message per line, got ${JSON.stringify(line.slice(0, 80))}`);
          newline = data.indexOf('\n');
          continue;
        }
        onValue(value);
      }
      newline = data.indexOf('\n');
    }
    partial = data;
    if (partial.length > maxLineBytes) {
      onBadLine(`Expected a control message of at most ${maxLineBytes} bytes`);
      socket.destroy();
    }
  });
}

/** Writes one message as a JSON line. */
export function writeJsonLine(socket: Socket, message: unknown, callback?: () => void): void {
  if (socket.destroyed || !socket.writable) {
    callback?.();
    return;
  }
  socket.write(
    `${JSON.stringify(message)}\n`,
    callback === undefined ? undefined : () => callback(),
  );
}
