import type { CompressedBatch } from './batch.js';
import type { PageCodec } from './codec.js';
import { NATIVE_CODEC_IDS, type NativeCodecs } from './native.js';

/**
 * A batch of `count` whole pages through the addon in one call: zero checks, compression and
 * QEMU's per-page rule; `inPlace` overwrites `pages` with the stored bytes. Kept apart from batch.ts so that a worker with the addon loads neither
 * pako nor snappyjs nor the TypeScript LZO.
 */
export function nativeBatch(
  native: NativeCodecs,
  codec: PageCodec,
  pages: Uint8Array,
  pageSize: number,
  count: number,
  level: number,
  inPlace = false,
): CompressedBatch {
  return batchThrough(pages, count, inPlace, (kinds, sizes, out) =>
    native.compressBatch(NATIVE_CODEC_IDS[codec], level, pages, pageSize, kinds, sizes, out),
  );
}

/**
 * A batch's result around one whole-batch compressor call (the addon's, the WebAssembly
 * module's): `compress` fills kinds and sizes and writes the stored bytes to `out`, returning how
 * many. Every stored page is at most pageSize bytes, so the input size bounds the output. In place
 * (a worker's own copy of the batch), `out` and `data` are the start of `pages` itself: no allocation.
 */
export function batchThrough(
  pages: Uint8Array,
  count: number,
  inPlace: boolean,
  compress: (kinds: Uint8Array, sizes: Uint32Array, out: Uint8Array) => number,
): CompressedBatch {
  const kinds = new Uint8Array(count);
  const sizes = new Uint32Array(count);
  const out = inPlace ? pages : new Uint8Array(pages.length);
  const used = compress(kinds, sizes, out);
  return { kinds, sizes, data: out.subarray(0, used) };
}

/** zlib levels the addon is given (1-9, as the package's own checks); other values take the TypeScript path. */
export function isZlibLevel(level: number): boolean {
  return Number.isInteger(level) && level >= 1 && level <= 9;
}
