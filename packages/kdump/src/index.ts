export { writeKdump, planKdumpForGuest } from './writer.js';
export type { KdumpWriteOptions, KdumpPageFilter } from './writer.js';
export type { KdumpSink } from './sink.js';
export { readKdump, KdumpFile, DEFAULT_MAX_PAGES } from './reader.js';
export type { KdumpReadOptions, KdumpPageDescriptor } from './reader.js';
export { openKdumpGuest } from './guest.js';
export { planKdumpLayout } from './layout.js';
export type { KdumpLayout, KdumpLayoutInput } from './layout.js';
export {
  DiskDumpHeader32,
  DiskDumpHeader64,
  KdumpSubHeader32,
  KdumpSubHeader64,
  PageDescriptor,
  NewUtsname,
  KDUMP_SIGNATURE,
  KDUMP_HEADER_VERSION,
} from './header.js';
export {
  DUMP_DH_COMPRESSED_ZLIB,
  DUMP_DH_COMPRESSED_LZO,
  DUMP_DH_COMPRESSED_SNAPPY,
  DUMP_DH_COMPRESSED_INCOMPLETE,
  DUMP_DH_EXCLUDED_VMEMMAP,
  DUMP_DH_COMPRESSED_ZSTD,
  DUMP_DH_FLAGS,
  CODEC_FLAGS,
  COMPRESSION_MASK,
  statusCodecs,
  codecForFlags,
} from './flags.js';
export type { KdumpCodec, DumpFlag } from './flags.js';
export { DEFAULT_DECOMPRESS_HANDLERS, defaultCompressor } from './codec.js';
export type { PageDecompressor, DecompressHandlers, BatchCompressor, CreateCompressor, CompressorOptions } from './codec.js';
export type { DiskDumpHeader, KdumpSubHeader, Utsname, HeaderLayout } from './header.js';
export type { PfnRun, PresentPages } from './bitmap.js';
export type { ParsedNote } from '@vmcore/bytes';
export type { PageCodec } from './codec.js';
