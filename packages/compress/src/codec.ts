import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/**
 * The per-page codecs of the kdump-compressed format (QEMU's kdump-zlib / kdump-lzo / kdump-snappy).
 * Their flag bits are the format's business: @vmcore/kdump's flag table.
 */
export type PageCodec = 'zlib' | 'lzo' | 'snappy';

export const PAGE_CODECS: readonly PageCodec[] = ['zlib', 'lzo', 'snappy'];

export function checkCodec(codec: unknown): PageCodec {
  if (codec === 'zlib' || codec === 'lzo' || codec === 'snappy') return codec;
  throw new VmcoreError(
    VmcoreErrorCode.InvalidArgument,
    `unknown page codec ${JSON.stringify(codec)}: expected one of ${PAGE_CODECS.join(', ')}`,
  );
}

export function checkPageSize(pageSize: number): number {
  if (!Number.isSafeInteger(pageSize) || pageSize <= 0 || pageSize > 0x4000_0000) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `page size ${pageSize} is not a positive integer of at most 1 GiB`);
  }
  return pageSize;
}

export function codecError(codec: string, what: string, cause?: unknown): VmcoreError {
  return new VmcoreError(VmcoreErrorCode.Codec, `${codec}: ${what}`, cause === undefined ? undefined : { cause });
}
