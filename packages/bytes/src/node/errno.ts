/** glibc's strerror() text for the errno codes a dump meets, as QEMU and makedumpfile print them. */
const TEXT: Record<string, string> = {
  ENOSPC: 'No space left on device',
  EPIPE: 'Broken pipe',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EFBIG: 'File too large',
  EDQUOT: 'Disk quota exceeded',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  EBUSY: 'Device or resource busy',
  ECONNRESET: 'Connection reset by peer',
  EINVAL: 'Invalid argument',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  ETXTBSY: 'Text file busy',
  EMFILE: 'Too many open files',
  ENOTEMPTY: 'Directory not empty',
};

/** The errno code somewhere in an error's cause chain. */
export function errnoCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * The C library's text for an error's errno ("No space left on device"), never Node's message,
 * which repeats the syscall and every path involved (temporary names included).
 */
export function errnoText(error: unknown): string | undefined {
  const code = errnoCode(error);
  if (code === undefined) return undefined;
  if (TEXT[code]) return TEXT[code];
  // libuv's description without the code and the paths: "EXYZ: some text, open '/x'" → "some text".
  const message = (error as { message?: unknown }).message;
  const match = typeof message === 'string' ? /^E[A-Z0-9]+: ([^,]+)/.exec(message) : null;
  return match ? match[1]! : code;
}
