import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskDumpHeader32, DiskDumpHeader64, KdumpSubHeader32, KdumpSubHeader64, PageDescriptor } from '../src/index.js';

// QEMU's packed structs (include/sysemu/dump.h), compiled with the host C compiler.
const C_SOURCE = `
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#define P __attribute__((packed))
typedef struct P { char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65]; } NewUtsname;
#define TAIL uint32_t status, block_size, sub_hdr_size, bitmap_blocks, max_mapnr, total_ram_blocks, device_blocks, written_blocks, current_cpu, nr_cpus;
typedef struct P { char signature[8]; uint32_t header_version; NewUtsname utsname; char timestamp[10]; TAIL } DiskDumpHeader32;
typedef struct P { char signature[8]; uint32_t header_version; NewUtsname utsname; char timestamp[22]; TAIL } DiskDumpHeader64;
typedef struct P { uint32_t phys_base, dump_level, split, start_pfn, end_pfn; uint64_t offset_vmcoreinfo; uint32_t size_vmcoreinfo;
  uint64_t offset_note; uint32_t note_size; uint64_t offset_eraseinfo; uint32_t size_eraseinfo; uint64_t start_pfn_64, end_pfn_64, max_mapnr_64; } KdumpSubHeader32;
typedef struct P { uint64_t phys_base; uint32_t dump_level, split; uint64_t start_pfn, end_pfn, offset_vmcoreinfo, size_vmcoreinfo,
  offset_note, note_size, offset_eraseinfo, size_eraseinfo, start_pfn_64, end_pfn_64, max_mapnr_64; } KdumpSubHeader64;
typedef struct P { uint64_t offset; uint32_t size, flags; uint64_t page_flags; } PageDescriptor;
#define F(T, f) printf("\\"%s.%s\\":%zu,", #T, #f, offsetof(T, f))
int main(void) {
  printf("{");
  printf("\\"DiskDumpHeader32\\":%zu,\\"DiskDumpHeader64\\":%zu,\\"KdumpSubHeader32\\":%zu,\\"KdumpSubHeader64\\":%zu,\\"PageDescriptor\\":%zu,",
    sizeof(DiskDumpHeader32), sizeof(DiskDumpHeader64), sizeof(KdumpSubHeader32), sizeof(KdumpSubHeader64), sizeof(PageDescriptor));
  F(DiskDumpHeader32, status); F(DiskDumpHeader32, nr_cpus); F(DiskDumpHeader64, status); F(DiskDumpHeader64, nr_cpus);
  F(KdumpSubHeader32, offset_note); F(KdumpSubHeader32, note_size); F(KdumpSubHeader32, max_mapnr_64);
  F(KdumpSubHeader64, offset_note); F(KdumpSubHeader64, size_vmcoreinfo); F(KdumpSubHeader64, max_mapnr_64);
  F(PageDescriptor, page_flags);
  printf("\\"end\\":0}\\n");
  return 0;
}
`;

describe('kdump struct tables against the C structs', () => {
  it('match sizeof/offsetof of QEMU_PACKED structs compiled by gcc', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdump-structs-'));
    try {
      writeFileSync(join(dir, 'structs.c'), C_SOURCE);
      execFileSync('gcc', ['-o', join(dir, 'structs'), join(dir, 'structs.c')]);
      const c = JSON.parse(execFileSync(join(dir, 'structs'), { encoding: 'utf8' })) as Record<string, number>;
      expect(DiskDumpHeader32.size).toBe(c.DiskDumpHeader32);
      expect(DiskDumpHeader64.size).toBe(c.DiskDumpHeader64);
      expect(KdumpSubHeader32.size).toBe(c.KdumpSubHeader32);
      expect(KdumpSubHeader64.size).toBe(c.KdumpSubHeader64);
      expect(PageDescriptor.size).toBe(c.PageDescriptor);
      expect(DiskDumpHeader32.offsets.status).toBe(c['DiskDumpHeader32.status']);
      expect(DiskDumpHeader32.offsets.nr_cpus).toBe(c['DiskDumpHeader32.nr_cpus']);
      expect(DiskDumpHeader64.offsets.status).toBe(c['DiskDumpHeader64.status']);
      expect(DiskDumpHeader64.offsets.nr_cpus).toBe(c['DiskDumpHeader64.nr_cpus']);
      expect(KdumpSubHeader32.offsets.offset_note).toBe(c['KdumpSubHeader32.offset_note']);
      expect(KdumpSubHeader32.offsets.note_size).toBe(c['KdumpSubHeader32.note_size']);
      expect(KdumpSubHeader32.offsets.max_mapnr_64).toBe(c['KdumpSubHeader32.max_mapnr_64']);
      expect(KdumpSubHeader64.offsets.offset_note).toBe(c['KdumpSubHeader64.offset_note']);
      expect(KdumpSubHeader64.offsets.size_vmcoreinfo).toBe(c['KdumpSubHeader64.size_vmcoreinfo']);
      expect(KdumpSubHeader64.offsets.max_mapnr_64).toBe(c['KdumpSubHeader64.max_mapnr_64']);
      expect(PageDescriptor.offsets.page_flags).toBe(c['PageDescriptor.page_flags']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
