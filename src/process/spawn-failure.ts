import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeErrno } from './describe-errno.js';

/** Why a process could not be started: the OS error code, when known, and a sentence. */
export interface SpawnProblem {
  errno: string | undefined;
  message: string;
}

/** The search path execvp uses when the environment has no PATH (glibc's and libuv's default). */
const DEFAULT_SEARCH_PATH = '/usr/bin:/bin';

/**
 * Checks the working directory before a spawn: when it is missing, the OS reports ENOENT,
 * which reads as if the program itself were missing.
 */
export function checkWorkingDirectory(command: string, cwd: string): SpawnProblem | undefined {
  try {
    if (!statSync(cwd).isDirectory()) {
      return {
        errno: 'ENOTDIR',
        message: `cannot start ${command}: working directory ${cwd} is not a directory`,
      };
    }
    accessSync(cwd, constants.X_OK);
    return undefined;
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT' || errno === 'ENOTDIR') {
      return {
        errno: 'ENOENT',
        message: `cannot start ${command}: working directory ${cwd} does not exist`,
      };
    }
    const why = errno ? describeErrno(errno) : String(error);
    return {
      errno,
      message: `cannot start ${command}: working directory ${cwd} is not usable: ${why}`,
    };
  }
}

/**
 * Explains a spawn that Node refused without saying why: Node reports the OS error only in a later
 * 'error' event, but the caller needs the answer now. So look where execvp looked (the command
 * itself when it has a slash, else each PATH entry, relative to `cwd`) and report what it found.
 */
export function explainSpawnFailure(
  command: string,
  cwd: string,
  searchPath: string | undefined,
): SpawnProblem {
  const candidates = executableCandidates(command, cwd, searchPath);
  let denied: string | undefined;
  for (const candidate of candidates) {
    const problem = executableProblem(candidate);
    if (problem === 'ENOENT') continue;
    if (problem === 'EACCES') {
      denied ??= candidate;
      continue;
    }
    const interpreter = missingInterpreter(candidate);
    if (interpreter) {
      return {
        errno: 'ENOENT',
        message: `cannot start ${command}: its interpreter ${interpreter} does not exist`,
      };
    }
    return {
      errno: undefined,
      message: `cannot start ${command}: the system could not create the process (process or open-file limit reached?)`,
    };
  }
  // Like execvp: permission denied wins over not found, when some candidate existed.
  const errno = denied === undefined ? 'ENOENT' : 'EACCES';
  const detail = denied === undefined ? '' : deniedDetail(command, denied);
  return { errno, message: `cannot start ${command}: ${describeErrno(errno)}${detail}` };
}

/** What to do about a command that exists but may not be run: a directory, or a script without its execute bit. */
function deniedDetail(command: string, path: string): string {
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) return ` (${path} is a directory)`;
    if ((stats.mode & 0o111) === 0) {
      return ` (${path} is not executable: \`chmod +x ${path}\`, or start it through its interpreter, such as \`sh ${command}\`)`;
    }
  } catch {
    // gone meanwhile: nothing more to say
  }
  return '';
}

/** Where execvp looks for `command`, in order: itself when it has a slash, else each PATH entry, relative to `cwd`. */
export function executableCandidates(
  command: string,
  cwd: string,
  searchPath: string | undefined,
): string[] {
  return command.includes('/')
    ? [resolve(cwd, command)]
    : (searchPath ?? DEFAULT_SEARCH_PATH).split(':').map((dir) => resolve(cwd, dir, command));
}

/** Why `path` cannot be executed (missing, or not allowed), or undefined when it can. */
export function executableProblem(path: string): 'ENOENT' | 'EACCES' | undefined {
  try {
    if (statSync(path).isDirectory()) return 'EACCES';
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES' ? 'EACCES' : 'ENOENT';
  }
}

/** The `#!` interpreter of a script when it does not exist (execve then fails with ENOENT). */
function missingInterpreter(path: string): string | undefined {
  const head = Buffer.alloc(256);
  let length: number;
  try {
    const fd = openSync(path, 'r');
    try {
      length = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const firstLine = head.subarray(0, length).toString('utf8').split('\n')[0] ?? '';
  if (!firstLine.startsWith('#!')) return undefined;
  const interpreter = firstLine.slice(2).trim().split(/\s+/)[0];
  if (!interpreter) return undefined;
  return executableProblem(interpreter) === 'ENOENT' ? interpreter : undefined;
}
