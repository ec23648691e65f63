/**
 * The one module that touches page codecs: @vmcore/compress behind the few shapes the writer
 * and reader need, so a different compressor (or a browser build without workers) changes here only.
 */
import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { PageCompressorPool, compressBatch, decompressPage, type CompressedBatch, type PageCodec } from '@vmcore/compress';
import { DUMP_DH_COMPRESSED_LZO, DUMP_DH_COMPRESSED_SNAPPY, DUMP_DH_COMPRESSED_ZLIB, DUMP_DH_COMPRESSED_ZSTD } from './header.js';

export type { CompressedBatch, PageCodec };
export { PAGE_ZERO, PAGE_COMPRESSED, PAGE_RAW, isZeroPage } from '@vmcore/compress';

export const CODEC_FLAGS: Readonly<Record<PageCodec, number>> = {
  zlib: DUMP_DH_COMPRESSED_ZLIB,
  lzo: DUMP_DH_COMPRESSED_LZO,
  snappy: DUMP_DH_COMPRESSED_SNAPPY,
};

export interface BatchCompressor {
  /**
   * Compresses whole pages. With `owned`, `pages` is the caller's own buffer, unused afterwards,
   * and may be transferred to a worker; otherwise (a view of someone else's bytes) it is copied.
   */
  compressBatch(pages: Uint8Array, pageSize: number, owned: boolean): Promise<CompressedBatch>;
  close(): Promise<void>;
}

/** A batch compressor: `workers` worker threads (PageCompressorPool), or the calling thread when 0. */
export function createBatchCompressor(codec: PageCodec, workers: number, zlibLevel?: number): BatchCompressor {
  if (workers === 0) {
    return {
      async compressBatch(pages, pageSize) {
        return compressBatch(codec, pages, pageSize, { zlibLevel });
      },
      async close() {},
    };
  }
  const pool = new PageCompressorPool({ codec, workers, zlibLevel });
  return {
    compressBatch: (pages, pageSize, owned) => pool.compressBatch(pages, pageSize, { transfer: owned }),
    close: () => pool.close(),
  };
}

/** The codec a page descriptor's flags name, or undefined for a raw page. */
export function codecForFlags(flags: number, what: string): PageCodec | undefined {
  const codecBits = flags & (DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO | DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD);
  switch (codecBits) {
    case 0: return undefined;
    case DUMP_DH_COMPRESSED_ZLIB: return 'zlib';
    case DUMP_DH_COMPRESSED_LZO: return 'lzo';
    case DUMP_DH_COMPRESSED_SNAPPY: return 'snappy';
    case DUMP_DH_COMPRESSED_ZSTD:
      throw new VmcoreError(VmcoreErrorCode.Unsupported, `${what}: zstd-compressed pages are not supported`);
    default:
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `${what}: flags 0x${flags.toString(16)} name more than one codec`);
  }
}

/** Decompresses one stored page to exactly `pageSize` bytes or throws VMCORE_CODEC naming `what`. */
export function decompressStoredPage(codec: PageCodec, data: Uint8Array, pageSize: number, what: string): Uint8Array {
  try {
    return decompressPage(codec, data, pageSize);
  } catch (error) {
    if (error instanceof VmcoreError) throw new VmcoreError(error.code, `${what}: ${error.message}`, { cause: error });
    throw new VmcoreError(VmcoreErrorCode.Codec, `${what}: ${(error as Error).message}`, { cause: error });
  }
}
