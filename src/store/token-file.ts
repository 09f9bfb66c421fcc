import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  fsyncDirectorySync,
  removeQuietlySync,
  replaceFileAtomicSync,
  tempPathFor,
  writeDurableFileSync,
} from './atomic-write.js';

/** Random bytes in a new token: 256 bits, as 43 base64url characters. */
const TOKEN_BYTES = 32;

/** What a token file may hold: base64url text of a sensible length (a hand-written one is fine). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32,512}$/;

/** Mode of the token file: only its owner may read it. */
const TOKEN_FILE_MODE = 0o600;

/** The token in `path`, created (256 random bits, mode 0600) when there is none or it is not a token. */
export function readOrCreateToken(path: string): string {
  const existing = readToken(path);
  if (existing !== undefined) return existing;
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  if (isPresent(path)) {
    // A file that holds no token (empty after a crash, edited by hand) is replaced.
    replaceFileAtomicSync(path, `${token}\n`, TOKEN_FILE_MODE);
    return token;
  }
  // link() fails when the file exists: of two processes creating it at once, both read the winner's.
  const temp = tempPathFor(path);
  try {
    writeDurableFileSync(temp, `${token}\n`, TOKEN_FILE_MODE);
    linkSync(temp, path);
    fsyncDirectorySync(dirname(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    removeQuietlySync(temp);
  }
  return readToken(path) ?? token;
}

/** The token in `path`, or undefined when the file is missing or holds no token; a readable-by-others file is made private first. */
export function readToken(path: string): string | undefined {
  let text: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, TOKEN_FILE_MODE);
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  return TOKEN_SHAPE.test(text) ? text : undefined;
}

function isPresent(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
