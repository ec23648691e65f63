/** Codec numbers of the addon's functions. */
export type NativeCodecId = 0 | 1 | 2; // zlib (libdeflate), LZO1X-1 (liblzo2), snappy (libsnappy)

/** Compresses `src` into `dst`; returns the bytes written, 0 when the result does not fit in `dst`, -1 on a codec failure. */
export function compress(codec: NativeCodecId, level: number, src: Uint8Array, dst: Uint8Array): number;
/** Decodes the whole stream `src` into `dst`; returns the bytes written, -1 for a bad or too long stream, -2 for bytes after the stream. */
export function decompress(codec: NativeCodecId, src: Uint8Array, dst: Uint8Array): number;
/**
 * QEMU's per-page rules over a batch of whole pages: kinds[i] 0 zero page, 1 compressed (strictly
 * smaller than the page), 2 raw; sizes[i] the bytes page i has in `out`. Returns the bytes used in `out`
 * (which must hold pages.length bytes, and may be `pages` itself: compressed in place).
 */
export function compressBatch(
  codec: NativeCodecId,
  level: number,
  pages: Uint8Array,
  pageSize: number,
  kinds: Uint8Array,
  sizes: Uint32Array,
  out: Uint8Array,
): number;
/**
 * compressBatch on libuv's thread pool: the event loop keeps running, and several batches are
 * compressed at once (one per pool thread). `pages`, `kinds`, `sizes` and `out` must not be
 * touched until the promise settles. Resolves with the bytes used in `out`. With `fd` and
 * `offset`, `pages` is first filled from that file at that offset on the same pool thread (`out`
 * must then be `pages`): a failed read rejects with code VMCORE_IO, a file that ends first with
 * VMCORE_TRUNCATED.
 */
export function compressBatchAsync(
  codec: NativeCodecId,
  level: number,
  pages: Uint8Array,
  pageSize: number,
  kinds: Uint8Array,
  sizes: Uint32Array,
  out: Uint8Array,
  fd?: number,
  offset?: number,
): Promise<number>;
/**
 * Decodes `count` stored pages on libuv's thread pool into `out` (count × pageSize bytes): page i
 * is stored[entries[3i], +entries[3i+1]) as entries[3i+2] (0 raw, 1 zlib, 2 lzo, 3 snappy).
 * Resolves with count; a page that is out of bounds or does not decode to exactly pageSize bytes
 * rejects (code VMCORE_CODEC, `page` its index). The arrays must not be touched until it settles.
 */
export function decodePagesAsync(
  stored: Uint8Array,
  entries: Uint32Array,
  count: number,
  pageSize: number,
  out: Uint8Array,
): Promise<number>;
/** True when every byte is zero. */
export function isZero(bytes: Uint8Array): boolean;
/** copy_file_range(2) of up to `length` bytes; returns bytes copied (0 at end of input) or -errno. */
export function copyFileRange(fdIn: number, offIn: number, fdOut: number, offOut: number, length: number): number;
/** lseek(fd, offset, SEEK_DATA): the first offset >= `offset` holding data; -ENXIO (-6) when only a hole follows; other -errno where the file system cannot tell. */
export function seekData(fd: number, offset: number): number;
/** lseek(fd, offset, SEEK_HOLE): the first hole at or after `offset` (the file's end at worst), or -errno. */
export function seekHole(fd: number, offset: number): number;
/**
 * copy_file_range(2) of `length` bytes on libuv's thread pool (the event loop keeps running),
 * looping until done; with `skipHoles`, holes of the input (SEEK_DATA) are skipped, not written.
 * Files on two filesystems (EXDEV) are copied there too, by pread/pwrite through a 1 MiB buffer.
 * Resolves with the bytes covered (fewer only at the end of the input) or -errno.
 */
export function copyFileRangeAsync(
  fdIn: number,
  offIn: number,
  fdOut: number,
  offOut: number,
  length: number,
  skipHoles?: boolean,
): Promise<number>;
/** The libdeflate version the addon was compiled against. */
export const libdeflateVersion: string;
