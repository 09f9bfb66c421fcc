import type { Socket } from 'node:net';

/**
 * Pipes two sockets into each other with backpressure, passes a half-close (FIN) on, and
 * destroys both when either fails or closes. `onClose` runs once, when both are gone.
 * Plain data listeners rather than stream.pipe: nothing else on the path.
 */
export function pipeSockets(a: Socket, b: Socket, onClose: () => void): void {
  let openCount = 2;
  const onEitherClose = (): void => {
    a.destroy();
    b.destroy();
    if (--openCount === 0) onClose();
  };
  a.on('data', (chunk: Buffer) => {
    if (!b.write(chunk)) a.pause();
  });
  b.on('data', (chunk: Buffer) => {
    if (!a.write(chunk)) b.pause();
  });
  a.on('drain', () => b.resume());
  b.on('drain', () => a.resume());
  a.on('end', () => b.end());
  b.on('end', () => a.end());
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', onEitherClose);
  b.on('close', onEitherClose);
}
