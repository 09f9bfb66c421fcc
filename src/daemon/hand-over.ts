import { chmodSync, renameSync, statSync, unlinkSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** Longest wait of the old daemon for the new one to put its socket in place. */
const SOCKET_REPLACED_TIMEOUT_MS = 10_000;

/** The inode of the socket file, or undefined when there is none. */
function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/**
 * Resolves once `socketPath` names another file than the one this daemon listens on (the next
 * daemon renamed its own socket there), or after a timeout: watched, not polled.
 */
export function untilSocketReplaced(socketPath: string): Promise<void> {
  const ours = inodeOf(socketPath);
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      watcher.close();
      resolve();
    };
    const check = () => {
      const now = inodeOf(socketPath);
      if (now !== undefined && now !== ours) finish();
    };
    const timer = setTimeout(finish, SOCKET_REPLACED_TIMEOUT_MS);
    const watcher = watch(dirname(socketPath), (_event, name) => {
      if (name === null || name === basename(socketPath)) check();
    });
    check();
  });
}

/**
 * Binds the API on the socket path: on a path of its own first, renamed over the socket path
 * once it listens. Taking over, that replaces the old daemon's socket in one step: a client
 * connects to one daemon or the other, never to nothing. Always so, because closing a listening
 * Unix socket unlinks the path it was bound to (libuv): a daemon bound to the shared path would
 * delete its successor's socket on its way out.
 */
export async function listenOnSocket(app: FastifyInstance, socketPath: string): Promise<void> {
  const path = `${socketPath}.${process.pid}`;
  try {
    unlinkSync(path);
  } catch {
    // none left
  }
  await app.listen({ path });
  chmodSync(path, 0o600);
  renameSync(path, socketPath);
}
