/**
 * glibc's strerror() texts for the errno codes a dump can meet, as QEMU prints them
 * ("dump: failed to save memory: No space left on device"). Node reports errno by name
 * (`error.code === 'ENOSPC'`); this is the one table that turns the name into QEMU's words.
 */
export const ERRNO_TEXT: Readonly<Record<string, string>> = Object.freeze({
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EACCES: 'Permission denied',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ETXTBSY: 'Text file busy',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EPIPE: 'Broken pipe',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  ECONNRESET: 'Connection reset by peer',
  EDQUOT: 'Disk quota exceeded',
});

/** strerror() of an errno name, or undefined when the table does not know it. */
export function errnoText(code: string | undefined): string | undefined {
  return code !== undefined && Object.hasOwn(ERRNO_TEXT, code) ? ERRNO_TEXT[code] : undefined;
}

/** The errno name (ENOSPC, …) somewhere in an error's cause chain (five levels at most). */
export function errnoCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}
