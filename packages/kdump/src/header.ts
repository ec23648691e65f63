import { defineStruct, type Endian, type FieldList } from '@vmcore/bytes';

/** `KDUMP_SIGNATURE` padded to SIG_LEN (8). */
export const KDUMP_SIGNATURE = 'KDUMP   ';
/** QEMU and makedumpfile write version 6 (max_mapnr_64 in the sub header). */
export const KDUMP_HEADER_VERSION = 6;
/** `DUMP_LEVEL`: QEMU excludes nothing, so both bitmaps are identical. */
export const KDUMP_DUMP_LEVEL = 1;
/** `DISKDUMP_HEADER_BLOCKS`: the main header occupies block 0. */
export const DISKDUMP_HEADER_BLOCKS = 1;

const utsnameFields = [
  ['sysname', { chars: 65 }],
  ['nodename', { chars: 65 }],
  ['release', { chars: 65 }],
  ['version', { chars: 65 }],
  ['machine', { chars: 65 }],
  ['domainname', { chars: 65 }],
] as const;

/** struct new_utsname: six `char[65]`. */
export const NewUtsname = defineStruct('new_utsname', utsnameFields);

export type Utsname = {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
};

const tailFields = [
  ['status', 'u32'],
  ['block_size', 'u32'],
  ['sub_hdr_size', 'u32'],
  ['bitmap_blocks', 'u32'],
  ['max_mapnr', 'u32'],
  ['total_ram_blocks', 'u32'],
  ['device_blocks', 'u32'],
  ['written_blocks', 'u32'],
  ['current_cpu', 'u32'],
  ['nr_cpus', 'u32'],
] as const;

function diskDumpHeader<const F extends FieldList>(name: string, timestamp: F) {
  return defineStruct(name, [
    ['signature', { chars: 8 }],
    ['header_version', 'u32'],
    ...utsnameFields,
    ...timestamp,
    ...tailFields,
  ] as const);
}

/**
 * QEMU's DiskDumpHeader32: makedumpfile's disk_dump_header on i386, where `struct timeval`
 * (8 bytes, 4-aligned) follows the 390-byte utsname after 2 bytes of padding.
 */
export const DiskDumpHeader32 = diskDumpHeader('DiskDumpHeader32', [['timestamp', { bytes: 10 }]] as const);
/** QEMU's DiskDumpHeader64: 6 bytes of padding plus a 16-byte timeval. */
export const DiskDumpHeader64 = diskDumpHeader('DiskDumpHeader64', [['timestamp', { bytes: 22 }]] as const);

/** QEMU's KdumpSubHeader32: kdump_sub_header as i386 packs it (u64 aligned to 4). */
export const KdumpSubHeader32 = defineStruct('KdumpSubHeader32', [
  ['phys_base', 'u32'],
  ['dump_level', 'u32'],
  ['split', 'u32'],
  ['start_pfn', 'u32'],
  ['end_pfn', 'u32'],
  ['offset_vmcoreinfo', 'u64'],
  ['size_vmcoreinfo', 'u32'],
  ['offset_note', 'u64'],
  ['note_size', 'u32'],
  ['offset_eraseinfo', 'u64'],
  ['size_eraseinfo', 'u32'],
  ['start_pfn_64', 'u64'],
  ['end_pfn_64', 'u64'],
  ['max_mapnr_64', 'u64'],
] as const);

/** QEMU's KdumpSubHeader64. */
export const KdumpSubHeader64 = defineStruct('KdumpSubHeader64', [
  ['phys_base', 'u64'],
  ['dump_level', 'u32'],
  ['split', 'u32'],
  ['start_pfn', 'u64'],
  ['end_pfn', 'u64'],
  ['offset_vmcoreinfo', 'u64'],
  ['size_vmcoreinfo', 'u64'],
  ['offset_note', 'u64'],
  ['note_size', 'u64'],
  ['offset_eraseinfo', 'u64'],
  ['size_eraseinfo', 'u64'],
  ['start_pfn_64', 'u64'],
  ['end_pfn_64', 'u64'],
  ['max_mapnr_64', 'u64'],
] as const);

/** struct page_desc / QEMU's PageDescriptor. */
export const PageDescriptor = defineStruct('PageDescriptor', [
  ['offset', 'u64'],
  ['size', 'u32'],
  ['flags', 'u32'],
  ['page_flags', 'u64'],
] as const);

export type HeaderLayout = 32 | 64;

/** The fields both header layouts share, decoded to one shape (64-bit values as bigint). */
export interface DiskDumpHeader {
  readonly layout: HeaderLayout;
  readonly signature: string;
  readonly headerVersion: number;
  readonly utsname: Utsname;
  readonly status: number;
  readonly blockSize: number;
  readonly subHdrSize: number;
  readonly bitmapBlocks: number;
  readonly maxMapnr: number;
  readonly totalRamBlocks: number;
  readonly deviceBlocks: number;
  readonly writtenBlocks: number;
  readonly currentCpu: number;
  readonly nrCpus: number;
}

export interface KdumpSubHeader {
  readonly physBase: bigint;
  readonly dumpLevel: number;
  readonly split: number;
  readonly startPfn: bigint;
  readonly endPfn: bigint;
  readonly offsetVmcoreinfo: bigint;
  readonly sizeVmcoreinfo: bigint;
  readonly offsetNote: bigint;
  readonly noteSize: bigint;
  readonly offsetEraseinfo: bigint;
  readonly sizeEraseinfo: bigint;
  readonly startPfn64: bigint;
  readonly endPfn64: bigint;
  readonly maxMapnr64: bigint;
}

export function diskDumpHeaderLayout(layout: HeaderLayout) {
  return layout === 32 ? DiskDumpHeader32 : DiskDumpHeader64;
}

export function subHeaderLayout(layout: HeaderLayout) {
  return layout === 32 ? KdumpSubHeader32 : KdumpSubHeader64;
}

export function encodeDiskDumpHeader(header: Omit<DiskDumpHeader, 'signature'>, endian: Endian): Uint8Array {
  return diskDumpHeaderLayout(header.layout).encode(
    {
      signature: KDUMP_SIGNATURE,
      header_version: header.headerVersion,
      ...header.utsname,
      status: header.status,
      block_size: header.blockSize,
      sub_hdr_size: header.subHdrSize,
      bitmap_blocks: header.bitmapBlocks,
      max_mapnr: header.maxMapnr,
      total_ram_blocks: header.totalRamBlocks,
      device_blocks: header.deviceBlocks,
      written_blocks: header.writtenBlocks,
      current_cpu: header.currentCpu,
      nr_cpus: header.nrCpus,
    },
    endian,
  );
}

export function decodeDiskDumpHeader(bytes: Uint8Array, layout: HeaderLayout, endian: Endian): DiskDumpHeader {
  const h = diskDumpHeaderLayout(layout).decode(bytes, endian);
  return {
    layout,
    signature: h.signature,
    headerVersion: h.header_version,
    utsname: {
      sysname: h.sysname,
      nodename: h.nodename,
      release: h.release,
      version: h.version,
      machine: h.machine,
      domainname: h.domainname,
    },
    status: h.status,
    blockSize: h.block_size,
    subHdrSize: h.sub_hdr_size,
    bitmapBlocks: h.bitmap_blocks,
    maxMapnr: h.max_mapnr,
    totalRamBlocks: h.total_ram_blocks,
    deviceBlocks: h.device_blocks,
    writtenBlocks: h.written_blocks,
    currentCpu: h.current_cpu,
    nrCpus: h.nr_cpus,
  };
}

export function encodeSubHeader(sub: KdumpSubHeader, layout: HeaderLayout, endian: Endian): Uint8Array {
  if (layout === 64) {
    return KdumpSubHeader64.encode(
      {
        phys_base: sub.physBase,
        dump_level: sub.dumpLevel,
        split: sub.split,
        start_pfn: sub.startPfn,
        end_pfn: sub.endPfn,
        offset_vmcoreinfo: sub.offsetVmcoreinfo,
        size_vmcoreinfo: sub.sizeVmcoreinfo,
        offset_note: sub.offsetNote,
        note_size: sub.noteSize,
        offset_eraseinfo: sub.offsetEraseinfo,
        size_eraseinfo: sub.sizeEraseinfo,
        start_pfn_64: sub.startPfn64,
        end_pfn_64: sub.endPfn64,
        max_mapnr_64: sub.maxMapnr64,
      },
      endian,
    );
  }
  const u32 = (value: bigint) => Number(BigInt.asUintN(32, value));
  return KdumpSubHeader32.encode(
    {
      phys_base: u32(sub.physBase),
      dump_level: sub.dumpLevel,
      split: sub.split,
      start_pfn: u32(sub.startPfn),
      end_pfn: u32(sub.endPfn),
      offset_vmcoreinfo: sub.offsetVmcoreinfo,
      size_vmcoreinfo: u32(sub.sizeVmcoreinfo),
      offset_note: sub.offsetNote,
      note_size: u32(sub.noteSize),
      offset_eraseinfo: sub.offsetEraseinfo,
      size_eraseinfo: u32(sub.sizeEraseinfo),
      start_pfn_64: sub.startPfn64,
      end_pfn_64: sub.endPfn64,
      max_mapnr_64: sub.maxMapnr64,
    },
    endian,
  );
}

export function decodeSubHeader(bytes: Uint8Array, layout: HeaderLayout, endian: Endian): KdumpSubHeader {
  const s = subHeaderLayout(layout).decode(bytes, endian);
  const big = (value: number | bigint) => BigInt(value);
  return {
    physBase: big(s.phys_base),
    dumpLevel: s.dump_level,
    split: s.split,
    startPfn: big(s.start_pfn),
    endPfn: big(s.end_pfn),
    offsetVmcoreinfo: s.offset_vmcoreinfo,
    sizeVmcoreinfo: big(s.size_vmcoreinfo),
    offsetNote: s.offset_note,
    noteSize: big(s.note_size),
    offsetEraseinfo: s.offset_eraseinfo,
    sizeEraseinfo: big(s.size_eraseinfo),
    startPfn64: s.start_pfn_64,
    endPfn64: s.end_pfn_64,
    maxMapnr64: s.max_mapnr_64,
  };
}
