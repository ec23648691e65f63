import { createRequire } from 'node:module';

interface NativeCopy {
  copyFileRangeAsync(fdIn: number, offIn: number, fdOut: number, offOut: number, length: number, skipHoles?: boolean): Promise<number>;
}

let addon: NativeCopy | null | undefined;

/**
 * copy_file_range through @vmcore/compress-native (optional: absent, not built, or
 * VMCORE_NO_NATIVE=1 and there is no kernel copy; callers read and write instead). Loaded on
 * the first copy, so commands that never copy a file range never load it.
 */
function nativeCopy(): NativeCopy | null {
  if (addon === undefined) {
    addon = null;
    if (process.env.VMCORE_NO_NATIVE !== '1') {
      try {
        const loaded = createRequire(import.meta.url)('@vmcore/compress-native') as Partial<NativeCopy>;
        if (typeof loaded.copyFileRangeAsync === 'function') addon = loaded as NativeCopy;
      } catch {
        // not installed or not built
      }
    }
  }
  return addon;
}

/** errnos that mean "no kernel copy between these two files" (other filesystems, a pipe, no syscall). */
const NO_KERNEL_COPY = new Set([18 /* EXDEV */, 22 /* EINVAL */, 38 /* ENOSYS */, 95 /* EOPNOTSUPP */, 1 /* EPERM */, 9 /* EBADF */]);

export type CopyResult = { readonly copied: true } | { readonly copied: false; readonly errno?: number };

/**
 * Copies `length` bytes at `inOffset` of descriptor `fdIn` to `outOffset` of `fdOut` in the
 * kernel (copy_file_range on the thread pool: the bytes never enter this process). With
 * `skipHoles`, input holes are not written (a fresh output keeps them as holes; its size must
 * then be set by a later write or truncate). `{copied: false}` without an errno: no kernel copy
 * is possible here (or the input ended early); read and write the same range instead, at the same
 * output offset. With an errno: an I/O error.
 */
export async function copyFileRange(
  fdIn: number,
  inOffset: number,
  fdOut: number,
  outOffset: number,
  length: number,
  skipHoles = false,
): Promise<CopyResult> {
  const native = nativeCopy();
  if (!native) return { copied: false };
  if (length === 0) return { copied: true };
  const n = await native.copyFileRangeAsync(fdIn, inOffset, fdOut, outOffset, length, skipHoles);
  if (n === length) return { copied: true };
  // A short copy (the input ended early: it shrank under us) is declined too: the caller's reads then
  // report the truncation in its own words, and its writes go over the bytes copied.
  if (n >= 0 || NO_KERNEL_COPY.has(-n)) return { copied: false };
  return { copied: false, errno: -n };
}
