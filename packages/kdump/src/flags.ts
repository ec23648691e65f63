import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/**
 * The one table of disk_dump_header.status and page_desc.flags bits (makedumpfile's
 * diskdump_mod.h). The compression bits name a page's codec in page_desc.flags and the codec(s)
 * used in the header status; the others are header-status facts.
 */
export const DUMP_DH_COMPRESSED_ZLIB = 0x1;
export const DUMP_DH_COMPRESSED_LZO = 0x2;
export const DUMP_DH_COMPRESSED_SNAPPY = 0x4;
/** The dump was cut short (makedumpfile ran out of space); pages past the end read as zero. */
export const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8;
/** makedumpfile excluded unused vmemmap pages (-e). */
export const DUMP_DH_EXCLUDED_VMEMMAP = 0x10;
export const DUMP_DH_COMPRESSED_ZSTD = 0x20;

/** Codecs a kdump file can name; the writer produces the first three, as QEMU. */
export type KdumpCodec = 'zlib' | 'lzo' | 'snappy' | 'zstd';

export interface DumpFlag {
  readonly bit: number;
  /** The name `vmcore info` prints. */
  readonly name: string;
  /** The codec a compression bit names. */
  readonly codec?: KdumpCodec;
}

export const DUMP_DH_FLAGS: readonly DumpFlag[] = Object.freeze([
  { bit: DUMP_DH_COMPRESSED_ZLIB, name: 'zlib', codec: 'zlib' },
  { bit: DUMP_DH_COMPRESSED_LZO, name: 'lzo', codec: 'lzo' },
  { bit: DUMP_DH_COMPRESSED_SNAPPY, name: 'snappy', codec: 'snappy' },
  { bit: DUMP_DH_COMPRESSED_INCOMPLETE, name: 'incomplete' },
  { bit: DUMP_DH_EXCLUDED_VMEMMAP, name: 'excluded_vmemmap' },
  { bit: DUMP_DH_COMPRESSED_ZSTD, name: 'zstd', codec: 'zstd' },
]);

/** The bit of each codec. */
export const CODEC_FLAGS: Readonly<Record<KdumpCodec, number>> = Object.freeze(
  Object.fromEntries(DUMP_DH_FLAGS.filter((f) => f.codec).map((f) => [f.codec!, f.bit])) as Record<KdumpCodec, number>,
);

/** Every compression bit. */
export const COMPRESSION_MASK = DUMP_DH_FLAGS.reduce((mask, f) => (f.codec ? mask | f.bit : mask), 0);

/** The codecs a header status names, in bit order. */
export function statusCodecs(status: number): KdumpCodec[] {
  return DUMP_DH_FLAGS.filter((f) => f.codec && (status & f.bit) !== 0).map((f) => f.codec!);
}

/** statusCodecs of every combination of the compression bits: codecForFlags runs once or more per page. */
const CODECS_OF_BITS: ReadonlyArray<readonly KdumpCodec[]> = Array.from({ length: COMPRESSION_MASK + 1 }, (_, bits) =>
  statusCodecs(bits & COMPRESSION_MASK),
);

/** The codec a page descriptor's flags name, or undefined for a raw page; more than one is corrupt. */
export function codecForFlags(flags: number, what: string): KdumpCodec | undefined {
  const codecs = CODECS_OF_BITS[flags & COMPRESSION_MASK]!;
  if (codecs.length > 1) {
    throw new VmcoreError(VmcoreErrorCode.Corrupt, `${what}: flags 0x${flags.toString(16)} name more than one codec`);
  }
  return codecs[0];
}
