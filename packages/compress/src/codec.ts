import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/** The per-page codecs of the kdump-compressed format (QEMU's kdump-zlib / kdump-lzo / kdump-snappy). */
export type PageCodec = 'zlib' | 'lzo' | 'snappy';

export const PAGE_CODECS: readonly PageCodec[] = ['zlib', 'lzo', 'snappy'];

/** disk_dump_header.status and page_desc.flags bits (makedumpfile's diskdump_mod.h). */
export const DUMP_DH_COMPRESSED_ZLIB = 0x1;
export const DUMP_DH_COMPRESSED_LZO = 0x2;
export const DUMP_DH_COMPRESSED_SNAPPY = 0x4;

const FLAGS: Record<PageCodec, number> = {
  zlib: DUMP_DH_COMPRESSED_ZLIB,
  lzo: DUMP_DH_COMPRESSED_LZO,
  snappy: DUMP_DH_COMPRESSED_SNAPPY,
};

/** The page_desc.flags / header status bit of a codec. */
export function codecFlag(codec: PageCodec): number {
  return FLAGS[checkCodec(codec)];
}

/** The codec a single page_desc.flags compression bit names, or undefined for a raw page (flags 0). */
export function codecFromFlags(flags: number): PageCodec | undefined {
  switch (flags & (DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO | DUMP_DH_COMPRESSED_SNAPPY)) {
    case 0:
      return undefined;
    case DUMP_DH_COMPRESSED_ZLIB:
      return 'zlib';
    case DUMP_DH_COMPRESSED_LZO:
      return 'lzo';
    case DUMP_DH_COMPRESSED_SNAPPY:
      return 'snappy';
    default:
      throw new VmcoreError(
        VmcoreErrorCode.Codec,
        `page flags 0x${flags.toString(16)} name more than one compression codec`,
      );
  }
}

export function checkCodec(codec: unknown): PageCodec {
  if (codec === 'zlib' || codec === 'lzo' || codec === 'snappy') return codec;
  throw new VmcoreError(
    VmcoreErrorCode.InvalidArgument,
    `unknown page codec ${JSON.stringify(codec)}: expected one of ${PAGE_CODECS.join(', ')}`,
  );
}

export function checkPageSize(pageSize: number): number {
  if (!Number.isSafeInteger(pageSize) || pageSize <= 0 || pageSize > 0x4000_0000) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `page size ${pageSize} is not a positive integer of at most 1 GiB`,
    );
  }
  return pageSize;
}

export function codecError(codec: string, what: string, cause?: unknown): VmcoreError {
  return new VmcoreError(
    VmcoreErrorCode.Codec,
    `${codec}: ${what}`,
    cause === undefined ? undefined : { cause },
  );
}
