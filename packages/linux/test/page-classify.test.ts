import { describe, expect, it } from 'vitest';
import { KernelInfo, classifyPages, type LinuxKernel } from '../src/index.js';
import { BASE, FlatMemory } from './synthetic-kernel.js';
import { parseVmcoreinfo } from '@vmcore/vmcoreinfo';

// A tiny SPARSEMEM_EXTREME + vmemmap guest: 8 pages per section, 64 pages, struct page laid out as
// in Debian's 6.1 x86_64 kernel (packages/vmcoreinfo/test/fixtures).
const ROOTS = BASE + 0x100n;
const SECTIONS = BASE + 0x200n;
const MEM_MAP = BASE + 0x10000n;
const PAGES = 64;
const PER_SECTION = 8;

const VMCOREINFO = `OSRELEASE=6.1.0-test
PAGESIZE=4096
SYMBOL(mem_section)=${ROOTS.toString(16)}
SIZE(mem_section)=16
OFFSET(mem_section.section_mem_map)=0
NUMBER(SECTION_SIZE_BITS)=15
NUMBER(MAX_PHYSMEM_BITS)=20
SIZE(page)=64
OFFSET(page.flags)=0
OFFSET(page._refcount)=52
OFFSET(page.mapping)=24
OFFSET(page.lru)=8
OFFSET(page._mapcount)=48
OFFSET(page.private)=40
OFFSET(page.compound_dtor)=16
OFFSET(page.compound_order)=17
OFFSET(page.compound_head)=8
LENGTH(zone.free_area)=11
NUMBER(PG_lru)=4
NUMBER(PG_private)=13
NUMBER(PG_swapcache)=10
NUMBER(PG_swapbacked)=19
NUMBER(PG_slab)=9
NUMBER(PG_hwpoison)=23
NUMBER(PG_head_mask)=65536
NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129
NUMBER(HUGETLB_PAGE_DTOR)=2
NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257
`;

const bit = (n: number) => 1n << BigInt(n);

function guest(text = VMCOREINFO, memMapSections = 7): LinuxKernel {
  const m = new FlatMemory(0x20000);
  m.u64(ROOTS, SECTIONS);
  for (let nr = 0; nr < PAGES / PER_SECTION; nr++) {
    // sections 0..memMapSections-1 have a mem_map; the encoded value is mem_map minus the section's first pfn
    if (nr < memMapSections) m.u64(SECTIONS + BigInt(nr * 16), MEM_MAP | 1n);
  }
  const page = (pfn: number) => MEM_MAP + BigInt(pfn * 64);
  const flags = (pfn: number, v: bigint) => m.u64(page(pfn), v);
  flags(1, bit(4)); // LRU: page cache
  m.u64(page(1) + 24n, BASE + 0x5000n);
  flags(2, bit(4) | bit(13)); // LRU + PG_private
  m.u64(page(2) + 24n, BASE + 0x5000n);
  m.u64(page(3) + 24n, BASE + 0x6001n); // anonymous
  m.u32(page(4) + 48n, -129 >>> 0); // buddy of order 2: pfns 4-7
  m.u64(page(4) + 40n, 2n);
  flags(8, bit(23)); // hwpoison
  m.u32(page(9) + 48n, -257 >>> 0); // offline
  flags(10, bit(16)); // compound head of order 1, hugetlb
  m.u8(page(11) + 17n, 1);
  m.u8(page(11) + 16n, 2);
  m.u64(page(11) + 8n, page(10) | 1n); // tail
  flags(12, bit(9)); // slab whose mapcount looks like a buddy's: not free
  m.u32(page(12) + 48n, -129 >>> 0);
  flags(13, bit(10) | bit(19)); // swap cache, swap-backed
  m.u64(page(13) + 24n, BASE + 0x5000n);
  flags(14, bit(10)); // swap cache without swap-backed: not cache (PG_swapbacked exists)
  m.u64(page(14) + 24n, BASE + 0x5000n);
  const vmcoreinfo = parseVmcoreinfo(text);
  return {
    info: new KernelInfo(vmcoreinfo, 'the test'),
    memory: m.memory(),
    wordSize: 8,
    pageSize: 4096,
    blocks: [{ start: 0, size: PAGES * 4096 }],
    arch: 'x86_64',
  };
}

const excludedPfns = (e: { excludes(pfn: number): boolean }) =>
  Array.from({ length: PAGES }, (_, pfn) => pfn).filter((pfn) => e.excludes(pfn));
const beyond = Array.from({ length: 8 }, (_, i) => 56 + i);

describe('classifyPages (makedumpfile 1.7.2 __exclude_unnecessary_pages)', () => {
  it('leaves out hwpoison and offline pages and pages beyond the mem_map whatever the level', async () => {
    const e = await classifyPages(guest(), { dumpLevel: 1 });
    expect(excludedPfns(e)).toEqual([8, 9, ...beyond]);
    expect(e.counts).toEqual({ cache: 0, cachePrivate: 0, user: 0, free: 0, hwpoison: 1, offline: 1, outsideMemMap: 8 });
    expect(e.memMapEnd).toBe(56);
  });

  it('level 2: cache pages without private data (LRU, or swap cache that is swap-backed)', async () => {
    const e = await classifyPages(guest(), { dumpLevel: 2 });
    expect(excludedPfns(e)).toEqual([1, 8, 9, 13, ...beyond]);
    expect(e.counts.cache).toBe(2);
  });

  it('level 4: cache pages with or without private data', async () => {
    const e = await classifyPages(guest(), { dumpLevel: 4 });
    expect(excludedPfns(e)).toEqual([1, 2, 8, 9, 13, ...beyond]);
    expect(e.counts).toMatchObject({ cache: 2, cachePrivate: 1 });
  });

  it('level 8: anonymous pages and a whole hugetlb compound page', async () => {
    const e = await classifyPages(guest(), { dumpLevel: 8 });
    expect(excludedPfns(e)).toEqual([3, 8, 9, 10, 11, ...beyond]);
    expect(e.counts.user).toBe(3);
  });

  it('level 16: a buddy block of its order, not a slab page with the same mapcount', async () => {
    const e = await classifyPages(guest(), { dumpLevel: 16 });
    expect(excludedPfns(e)).toEqual([4, 5, 6, 7, 8, 9, ...beyond]);
    expect(e.counts.free).toBe(4);
  });

  it('level 31: everything at once, as one bitmap', async () => {
    const e = await classifyPages(guest(), { dumpLevel: 31 });
    expect(excludedPfns(e)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, ...beyond]);
    expect(e.excludedPages).toBe(12 + 8);
    expect(e.bitmap[0]).toBe(0b1111_1110);
  });

  it('names the VMCOREINFO entry a level needs', async () => {
    await expect(classifyPages(guest(VMCOREINFO.replace('NUMBER(PG_lru)=4\n', '')), { dumpLevel: 2 })).rejects.toThrow(
      'VMCOREINFO has no NUMBER(PG_lru), which dump level 2 needs',
    );
    await expect(
      classifyPages(guest(VMCOREINFO.replace('NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n', '')), { dumpLevel: 16 }),
    ).rejects.toThrow('VMCOREINFO has no NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE), which dump level 16 (free pages) needs');
    await expect(classifyPages(guest(VMCOREINFO.replace(/^SYMBOL\(mem_section\).*\n/m, '')), { dumpLevel: 1 })).rejects.toThrow(
      'VMCOREINFO has no SYMBOL(mem_section), which dump level 1 needs',
    );
    await expect(classifyPages(guest(), { dumpLevel: 32 })).rejects.toThrow('dump level 32 is not an integer from 0 to 31');
  });
});
