import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { checkCodec, checkPageSize, type PageCodec } from './codec.js';
import { compressPage, type CodecOptions } from './page.js';
import { nativeCodecs } from './native.js';
import { isZlibLevel, nativeBatch } from './native-batch.js';
import { wasmBatch, wasmFor } from './wasm.js';
import { isZeroPage } from './zero.js';
import { nodeZlib } from './zlib.js';
import { pageDeflater } from './zlib-engine.js';

/** Per-page result kinds of a batch. */
export const PAGE_ZERO = 0;
export const PAGE_COMPRESSED = 1;
export const PAGE_RAW = 2;
export type PageKind = typeof PAGE_ZERO | typeof PAGE_COMPRESSED | typeof PAGE_RAW;

/**
 * The pages of a batch as the kdump writer stores them, in input order: `kinds[i]` is
 * PAGE_ZERO (no data: every zero page shares the dump's one zero page), PAGE_COMPRESSED or
 * PAGE_RAW; `sizes[i]` the bytes page i has in `data` (0 for zero pages); `data` the stored
 * bytes of the non-zero pages, concatenated in order.
 */
export interface CompressedBatch {
  kinds: Uint8Array;
  sizes: Uint32Array;
  data: Uint8Array;
}

export function checkBatch(pages: Uint8Array, pageSize: number): number {
  checkPageSize(pageSize);
  if (pages.length % pageSize !== 0) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `batch of ${pages.length} bytes is not a whole number of ${pageSize}-byte pages`,
    );
  }
  return pages.length / pageSize;
}

/**
 * Zero-page detection and compression of `pages` (n whole pages) in this thread, with
 * QEMU's per-page rule; the same result PageCompressorPool computes in workers.
 */
export function compressBatch(codec: PageCodec, pages: Uint8Array, pageSize: number, options?: CodecOptions): CompressedBatch {
  checkCodec(codec);
  const count = checkBatch(pages, pageSize);
  const level = options?.zlibLevel ?? 1;
  // The native addon (libdeflate / liblzo2 / libsnappy), zero checks and all, in one call,
  // unless a zlib backend was asked for by name; without it, zlib pages go to libdeflate in
  // WebAssembly the same way. (An invalid level keeps the per-page path.)
  const compiled = options?.native !== false && options?.zlib === undefined;
  const native = compiled && isZlibLevel(level) ? nativeCodecs() : undefined;
  if (native) return nativeBatch(native, codec, pages, pageSize, count, level);
  const wasm = compiled ? wasmFor(codec, level, pageSize) : undefined;
  if (wasm) return wasmBatch(wasm, pages, pageSize, count, level);
  const kinds = new Uint8Array(count);
  const sizes = new Uint32Array(count);
  // Every stored page is at most pageSize bytes, so the input size bounds the output.
  const out = new Uint8Array(pages.length);
  let at = 0;
  // node:zlib with one reused stream where the default backend would be node:zlib anyway.
  const deflater =
    codec === 'zlib' && (options?.zlib === undefined || options.zlib === nodeZlib()) && isZlibLevel(level)
      ? pageDeflater(level)
      : undefined;
  for (let i = 0; i < count; i++) {
    const page = pages.subarray(i * pageSize, (i + 1) * pageSize);
    if (isZeroPage(page)) {
      kinds[i] = PAGE_ZERO;
      continue;
    }
    if (deflater) {
      // Straight into the batch's output; a stream that is not strictly smaller than the
      // page comes back as -1 and the page is stored raw (QEMU's rule).
      let n = -1;
      try {
        n = deflater.deflateInto(page, out.subarray(at, at + pageSize));
      } catch {
        // QEMU stores the page raw when compress2 fails.
      }
      if (n > 0) {
        kinds[i] = PAGE_COMPRESSED;
        sizes[i] = n;
        at += n;
      } else {
        kinds[i] = PAGE_RAW;
        sizes[i] = pageSize;
        out.set(page, at);
        at += pageSize;
      }
      continue;
    }
    const { stored, bytes } = compressPage(codec, page, options);
    kinds[i] = stored === 'compressed' ? PAGE_COMPRESSED : PAGE_RAW;
    sizes[i] = bytes.length;
    out.set(bytes, at);
    at += bytes.length;
  }
  return { kinds, sizes, data: out.slice(0, at) };
}
