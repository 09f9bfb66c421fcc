/** What each OS error code a spawn can meet means, as `strerror` would say it (lower case). */
const ERRNO_MEANINGS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOEXEC: 'exec format error',
  E2BIG: 'argument list too long',
  EAGAIN: 'resource temporarily unavailable (process limit reached?)',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in system',
  ENOMEM: 'out of memory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ETXTBSY: 'text file busy',
};

/** Describes an OS error code in words ("permission denied"); unknown codes are returned as they are. */
export function describeErrno(errno: string): string {
  return ERRNO_MEANINGS[errno] ?? errno;
}

/** The `code` of a Node error, when it has one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
