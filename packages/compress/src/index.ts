export {
  DUMP_DH_COMPRESSED_ZLIB,
  DUMP_DH_COMPRESSED_LZO,
  DUMP_DH_COMPRESSED_SNAPPY,
  PAGE_CODECS,
  codecFlag,
  codecFromFlags,
} from './codec.js';
export type { PageCodec } from './codec.js';
export { compressPage, decompressPage, compressWith } from './page.js';
export type { StoredPage, CodecOptions } from './page.js';
export { zlibCompress, zlibDecompress, pakoZlib, nodeZlib, defaultZlib, checkZlibLevel } from './zlib.js';
export type { ZlibBackend } from './zlib.js';
export { lzo1xCompress, lzo1xCompressInto, lzo1xMaxCompressedLength } from './lzo1x-compress.js';
export { lzo1xDecompress, lzo1xDecompressInto } from './lzo1x-decompress.js';
export { snappyCompress, snappyDecompress, snappyUncompressedLength } from './snappy.js';
export { isZeroPage } from './zero.js';
export { compressBatch, PAGE_ZERO, PAGE_COMPRESSED, PAGE_RAW } from './batch.js';
export type { CompressedBatch, PageKind } from './batch.js';
export { PageCompressorPool } from './pool.js';
export type { PageCompressorPoolOptions, CompressBatchOptions } from './pool.js';
export { nativeCodecs } from './native.js';
export type { NativeCodecs } from './native.js';
