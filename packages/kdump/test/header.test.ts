import { describe, expect, it } from 'vitest';
import { DiskDumpHeader32, DiskDumpHeader64, KdumpSubHeader32, KdumpSubHeader64, NewUtsname, PageDescriptor } from '../src/index.js';

describe('kdump struct layouts', () => {
  it('packs DiskDumpHeader32 as QEMU (timestamp[10]): 452 bytes', () => {
    expect(NewUtsname.size).toBe(390);
    expect(DiskDumpHeader32.size).toBe(452);
    expect(DiskDumpHeader32.offsets.header_version).toBe(8);
    expect(DiskDumpHeader32.offsets.machine).toBe(12 + 4 * 65);
    expect(DiskDumpHeader32.offsets.timestamp).toBe(402);
    expect(DiskDumpHeader32.offsets.status).toBe(412);
    expect(DiskDumpHeader32.offsets.block_size).toBe(416);
    expect(DiskDumpHeader32.offsets.max_mapnr).toBe(428);
    expect(DiskDumpHeader32.offsets.nr_cpus).toBe(448);
  });

  it('packs DiskDumpHeader64 as QEMU (timestamp[22]): 464 bytes', () => {
    expect(DiskDumpHeader64.size).toBe(464);
    expect(DiskDumpHeader64.offsets.status).toBe(424);
    expect(DiskDumpHeader64.offsets.block_size).toBe(428);
    expect(DiskDumpHeader64.offsets.sub_hdr_size).toBe(432);
    expect(DiskDumpHeader64.offsets.bitmap_blocks).toBe(436);
    expect(DiskDumpHeader64.offsets.max_mapnr).toBe(440);
    expect(DiskDumpHeader64.offsets.nr_cpus).toBe(460);
  });

  it('packs KdumpSubHeader32 (80 bytes, u64 fields 4-aligned as on i386) and KdumpSubHeader64 (104 bytes)', () => {
    expect(KdumpSubHeader32.size).toBe(80);
    expect(KdumpSubHeader32.offsets.offset_vmcoreinfo).toBe(20);
    expect(KdumpSubHeader32.offsets.offset_note).toBe(32);
    expect(KdumpSubHeader32.offsets.max_mapnr_64).toBe(72);
    expect(KdumpSubHeader64.size).toBe(104);
    expect(KdumpSubHeader64.offsets.offset_vmcoreinfo).toBe(32);
    expect(KdumpSubHeader64.offsets.offset_note).toBe(48);
    expect(KdumpSubHeader64.offsets.note_size).toBe(56);
    expect(KdumpSubHeader64.offsets.max_mapnr_64).toBe(96);
  });

  it('lays out PageDescriptor as {u64 offset, u32 size, u32 flags, u64 page_flags}: 24 bytes', () => {
    expect(PageDescriptor.size).toBe(24);
    expect(PageDescriptor.offsets).toEqual({ offset: 0, size: 8, flags: 12, page_flags: 16 });
    const bytes = PageDescriptor.encode({ offset: 0x1122334455n, size: 0x777, flags: 1, page_flags: 0n }, 'be');
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0, 7, 0x77, 0, 0, 0, 1]);
  });
});
