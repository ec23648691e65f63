import { constants } from 'node:os';

const TEXT: Record<string, string> = {
  ENOSPC: 'No space left on device',
  EPIPE: 'Broken pipe',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EFBIG: 'File too large',
  EDQUOT: 'Disk quota exceeded',
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  ECONNRESET: 'Connection reset by peer',
  EINVAL: 'Invalid argument',
  ENAMETOOLONG: 'File name too long',
  ELOOP: 'Too many levels of symbolic links',
  ETXTBSY: 'Text file busy',
  EMFILE: 'Too many open files',
};

/** glibc's strerror() text for a Node errno code, as QEMU prints it. */
export function strerror(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  if (TEXT[code]) return TEXT[code];
  return code in constants.errno ? code : undefined;
}

/** The errno code somewhere in an error's cause chain. */
export function errnoCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  }
  return undefined;
}
