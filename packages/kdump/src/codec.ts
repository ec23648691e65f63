/**
 * Page codecs come in from outside, the way mcap's readers take `decompressHandlers`: the writer
 * takes a `compressor` factory and the reader `decompressHandlers`, both defaulting to
 * @vmcore/compress, so a browser build (or one with a zstd decoder) brings its own.
 */
import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import {
  PageCompressorPool,
  PageCompressorThreads,
  compressBatch,
  decompressPage,
  type CompressedBatch,
  type PageCodec,
} from '@vmcore/compress';
import type { KdumpCodec } from './flags.js';

export type { CompressedBatch, PageCodec };
export { PAGE_ZERO, PAGE_COMPRESSED, PAGE_RAW, isZeroPage } from '@vmcore/compress';

/** Decompresses one stored page to exactly `pageSize` bytes, or throws. */
export type PageDecompressor = (data: Uint8Array, pageSize: number) => Uint8Array;

/** A decompressor per codec; a codec without one is refused (VMCORE_UNSUPPORTED) when a page needs it. */
export type DecompressHandlers = Readonly<Partial<Record<KdumpCodec, PageDecompressor>>>;

export interface BatchCompressor {
  /**
   * Compresses whole pages. With `owned`, `pages` is the caller's own buffer, unused afterwards,
   * and may be transferred to a worker; otherwise (a view of someone else's bytes) it is copied.
   * Returns @vmcore/compress's CompressedBatch shape (kinds, sizes, data); a page is stored
   * compressed only when that is strictly smaller than the page (QEMU's rule).
   */
  compressBatch(pages: Uint8Array, pageSize: number, owned: boolean): Promise<CompressedBatch>;
  /**
   * Optional: a free batch buffer shared with the workers (CompressorOptions.batchBytes long) to
   * read pages into, or undefined when none is free. compressBatch() of it, owned, sends no bytes; its
   * result's arrays are views into the buffer, valid until release(buffer).
   */
  sharedBuffer?(): Uint8Array | undefined;
  /** Gives back a buffer from sharedBuffer(); other arrays are ignored. */
  release?(buffer: Uint8Array): void;
  close(): Promise<void>;
}

export interface CompressorOptions {
  /** Worker threads the default uses; 0 compresses on the calling thread. */
  readonly workers: number;
  readonly zlibLevel?: number;
  /** Bytes of the batches the writer sends (for shared batch buffers). */
  readonly batchBytes?: number;
  /** Batch buffers the writer can have in use at once (reading, queued, being written out). */
  readonly buffers?: number;
}

/** Makes the writer's batch compressor for a codec. */
export type CreateCompressor = (codec: PageCodec, options: CompressorOptions) => BatchCompressor;

/** @vmcore/compress's decoders. */
export const DEFAULT_DECOMPRESS_HANDLERS: DecompressHandlers = Object.freeze({
  zlib: (data: Uint8Array, pageSize: number) => decompressPage('zlib', data, pageSize),
  lzo: (data: Uint8Array, pageSize: number) => decompressPage('lzo', data, pageSize),
  snappy: (data: Uint8Array, pageSize: number) => decompressPage('snappy', data, pageSize),
});

/**
 * @vmcore/compress: `workers` batches at a time on libuv's thread pool where the native addon
 * can (PageCompressorThreads: no worker threads to boot), else `workers` worker threads
 * (PageCompressorPool), or the calling thread when 0.
 */
export const defaultCompressor: CreateCompressor = (codec, { workers, zlibLevel, batchBytes, buffers }) => {
  if (workers === 0) {
    return {
      async compressBatch(pages, pageSize) {
        return compressBatch(codec, pages, pageSize, { zlibLevel });
      },
      async close() {},
    };
  }
  const shared = batchBytes !== undefined && buffers !== undefined ? { shared: { count: buffers, bytes: batchBytes } } : {};
  const pool = PageCompressorThreads.available(codec, zlibLevel)
    ? new PageCompressorThreads({ codec, threads: workers, zlibLevel, ...shared })
    : new PageCompressorPool({ codec, workers, zlibLevel, ...shared });
  return {
    compressBatch: (pages, pageSize, owned) => pool.compressBatch(pages, pageSize, { transfer: owned }),
    sharedBuffer: () => pool.sharedBuffer(),
    release: (buffer) => pool.release(buffer),
    close: () => pool.close(),
  };
};

/** The handler for a codec, or VMCORE_UNSUPPORTED naming `what`. */
export function decompressorFor(handlers: DecompressHandlers, codec: KdumpCodec, what: string): PageDecompressor {
  const handler = Object.hasOwn(handlers, codec) ? handlers[codec] : undefined;
  if (!handler) throw new VmcoreError(VmcoreErrorCode.Unsupported, `${what}: ${codec}-compressed pages are not supported`);
  return handler;
}

/** Decompresses one stored page to exactly `pageSize` bytes or throws (VMCORE_CODEC unless the handler says otherwise) naming `what`. */
export function decompressStoredPage(handler: PageDecompressor, data: Uint8Array, pageSize: number, what: string): Uint8Array {
  let page: Uint8Array;
  try {
    page = handler(data, pageSize);
  } catch (error) {
    if (error instanceof VmcoreError) throw new VmcoreError(error.code, `${what}: ${error.message}`, { cause: error });
    throw new VmcoreError(VmcoreErrorCode.Codec, `${what}: ${(error as Error).message}`, { cause: error });
  }
  if (page.length !== pageSize) {
    throw new VmcoreError(VmcoreErrorCode.Codec, `${what}: decompressed to ${page.length} bytes, expected ${pageSize}`);
  }
  return page;
}
