/** Stable error codes shared by every vmcore package; callers switch on `code`, never on text. */
export const VmcoreErrorCode = {
  Truncated: 'VMCORE_TRUNCATED',
  BadMagic: 'VMCORE_BAD_MAGIC',
  Unsupported: 'VMCORE_UNSUPPORTED',
  Corrupt: 'VMCORE_CORRUPT',
  OutOfRange: 'VMCORE_OUT_OF_RANGE',
  TooLarge: 'VMCORE_TOO_LARGE',
  InvalidArgument: 'VMCORE_INVALID_ARGUMENT',
  Codec: 'VMCORE_CODEC',
  Io: 'VMCORE_IO',
  NotSeekable: 'VMCORE_NOT_SEEKABLE',
  /** Cancelled through an AbortSignal (SIGINT/SIGTERM in the CLI, QMP dump-cancel). */
  Aborted: 'VMCORE_ABORTED',
  /** A file its writer marked as unfinished (kdump status DUMP_DH_COMPRESSED_INCOMPLETE). */
  Incomplete: 'VMCORE_INCOMPLETE',
  /** An output would overwrite one of the command's own inputs. */
  SameFile: 'VMCORE_SAME_FILE',
} as const;

export type VmcoreErrorCode = (typeof VmcoreErrorCode)[keyof typeof VmcoreErrorCode];

/** The one error type of the vmcore packages: a stable code and a message naming what was expected. */
export class VmcoreError extends Error {
  override readonly name = 'VmcoreError';
  constructor(
    readonly code: VmcoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isVmcoreError(value: unknown, code?: VmcoreErrorCode): value is VmcoreError {
  return value instanceof VmcoreError && (code === undefined || value.code === code);
}
