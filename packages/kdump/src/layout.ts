import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { DISKDUMP_HEADER_BLOCKS, PageDescriptor, subHeaderLayout, type HeaderLayout } from './header.js';

export interface KdumpLayoutInput {
  /** Block size = guest page size. */
  readonly pageSize: number;
  /** 32 for ELFCLASS32 guests (DiskDumpHeader32/KdumpSubHeader32), else 64 — QEMU's write_dump_header(). */
  readonly layout: HeaderLayout;
  /** Bytes of notes written after the sub header. */
  readonly noteSize: number;
  /** Page frames the bitmaps describe: the end of the last block, in pages. */
  readonly maxMapnr: number;
  /** Present pages (page descriptors). */
  readonly pageCount: number;
}

/** Where everything goes in a kdump-compressed file, computed as QEMU's create_header32/64() do. */
export interface KdumpLayout extends KdumpLayoutInput {
  readonly blockSize: number;
  /** Blocks of sub header + notes: DIV_ROUND_UP(sizeof(KdumpSubHeader) + note_size, block_size). */
  readonly subHdrSize: number;
  /** Bytes of one bitmap: DIV_ROUND_UP(DIV_ROUND_UP(max_mapnr, 8), page_size) pages. */
  readonly bitmapLength: number;
  /** Blocks of both bitmaps. */
  readonly bitmapBlocks: number;
  readonly offsetSubHeader: number;
  readonly offsetNote: number;
  readonly offsetBitmap1: number;
  readonly offsetBitmap2: number;
  readonly offsetPageDescriptors: number;
  /** The shared zero page; other page data follows it. */
  readonly offsetPageData: number;
  /** max_mapnr as the main header holds it: MIN(max_mapnr, UINT_MAX). */
  readonly maxMapnr32: number;
}

const U32_MAX = 0xffff_ffff;

export function planKdumpLayout(input: KdumpLayoutInput): KdumpLayout {
  const { pageSize, layout, noteSize, maxMapnr, pageCount } = input;
  if (!Number.isSafeInteger(pageSize) || pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `kdump: page size ${pageSize} is not a power of two of at least 512`);
  }
  const blockSize = pageSize;
  const subHdrSize = Math.ceil((subHeaderLayout(layout).size + noteSize) / blockSize);
  const bitmapLength = Math.ceil(Math.ceil(maxMapnr / 8) / pageSize) * pageSize;
  const bitmapBlocks = (bitmapLength / blockSize) * 2;
  if (subHdrSize > U32_MAX || bitmapBlocks > U32_MAX) {
    throw new VmcoreError(
      VmcoreErrorCode.TooLarge,
      `kdump: ${subHdrSize} sub header blocks or ${bitmapBlocks} bitmap blocks do not fit the 32-bit header fields`,
    );
  }
  const offsetSubHeader = DISKDUMP_HEADER_BLOCKS * blockSize;
  const offsetBitmap1 = (DISKDUMP_HEADER_BLOCKS + subHdrSize) * blockSize;
  const offsetPageDescriptors = (DISKDUMP_HEADER_BLOCKS + subHdrSize + bitmapBlocks) * blockSize;
  return {
    ...input,
    blockSize,
    subHdrSize,
    bitmapLength,
    bitmapBlocks,
    offsetSubHeader,
    offsetNote: offsetSubHeader + subHeaderLayout(layout).size,
    offsetBitmap1,
    offsetBitmap2: offsetBitmap1 + bitmapLength,
    offsetPageDescriptors,
    offsetPageData: offsetPageDescriptors + PageDescriptor.size * pageCount,
    maxMapnr32: Math.min(maxMapnr, U32_MAX),
  };
}
