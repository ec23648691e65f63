/**
 * glibc's strerror() texts for the errno codes a dump can meet, as QEMU and makedumpfile print
 * them ("dump: failed to save memory: No space left on device"). Node reports errno by name
 * (`error.code === 'ENOSPC'`); this is the one table that turns the name into QEMU's words.
 */
export const ERRNO_TEXT: Readonly<Record<string, string>> = Object.freeze({
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
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
  ENOTEMPTY: 'Directory not empty',
  ECONNRESET: 'Connection reset by peer',
  EDQUOT: 'Disk quota exceeded',
});

/** The errno name (ENOSPC, …) somewhere in an error's cause chain (five levels at most). */
export function errnoCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * strerror() text. Given an errno name: the table's text, or undefined when the table does not
 * know it. Given an error: the text for the errno in its cause chain, never Node's message, which
 * repeats the syscall and every path involved (temporary names included); for a code the table
 * lacks, libuv's description without the code and paths, else the code itself.
 */
export function errnoText(codeOrError: unknown): string | undefined {
  if (codeOrError === undefined || typeof codeOrError === 'string') {
    return codeOrError !== undefined && Object.hasOwn(ERRNO_TEXT, codeOrError) ? ERRNO_TEXT[codeOrError] : undefined;
  }
  const code = errnoCode(codeOrError);
  if (code === undefined) return undefined;
  const known = errnoText(code);
  if (known !== undefined) return known;
  // "EXYZ: some text, open '/x'" → "some text".
  const message = (codeOrError as { message?: unknown }).message;
  const match = typeof message === 'string' ? /^E[A-Z0-9]+: ([^,]+)/.exec(message) : null;
  return match ? match[1]! : code;
}
