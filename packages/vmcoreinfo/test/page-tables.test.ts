import { describe, expect, it } from 'vitest';
import {
  kernelVirtToPhys,
  physBaseFromMapping,
  physBaseFromPageTables,
  X86_64_START_KERNEL_MAP,
  X86_64PageWalker,
} from '../src/index.js';
import { FakeRam } from './helpers.js';

const KIB4 = 0x1000;
const MIB2 = 0x20_0000;
const GIB1 = 0x4000_0000;
const P = 1n; // present
const RW = 2n;
const PS = 1n << 7n;
const NX = 1n << 63n;

/** Builds x86_64 page tables in fake RAM (tables from 0x1000 up, below 1 MiB). */
class PageTables {
  readonly ram: FakeRam;
  private next: number;
  readonly root: number;
  constructor(
    readonly levels: 4 | 5 = 4,
    ramSize = 0x1000_0000,
    firstTable = 0x1000,
  ) {
    this.ram = new FakeRam([{ start: 0, size: ramSize }]);
    this.next = firstTable;
    this.root = this.alloc();
    if (firstTable !== 0x1000) this.next += KIB4; // leave the odd page of an 8 KiB PGD pair empty (PTI's user PGD)
  }
  alloc(): number {
    const at = this.next;
    this.next += KIB4;
    return at;
  }
  entryAddr(table: number, virt: bigint, level: number): number {
    return table + Number((virt >> BigInt(12 + 9 * (level - 1))) & 0x1ffn) * 8;
  }
  async entry(at: number): Promise<bigint> {
    return new DataView((await this.ram.read(at, 8)).buffer).getBigUint64(0, true);
  }
  async map(virt: bigint, phys: number, pageSize: number, flags = P | RW): Promise<void> {
    const leafLevel = pageSize === GIB1 ? 3 : pageSize === MIB2 ? 2 : 1;
    let table = this.root;
    for (let level = this.levels; level > leafLevel; level--) {
      const at = this.entryAddr(table, virt, level);
      let e = await this.entry(at);
      if ((e & P) === 0n) {
        e = BigInt(this.alloc()) | P | RW;
        this.ram.writeU64(at, e);
      }
      table = Number(e & 0x000f_ffff_ffff_f000n);
    }
    this.ram.writeU64(this.entryAddr(table, virt, leafLevel), BigInt(phys) | flags | (leafLevel > 1 ? PS : 0n));
  }
}

/** A KASLR kernel: _text at virt 0xffffffff81000000 + offset, loaded at physical `phys`. */
async function kernelImage(pt: PageTables, offset: bigint, phys: number, pages: 'huge' | '4k' | '1g' = 'huge') {
  const text = X86_64_START_KERNEL_MAP + 0x100_0000n + offset;
  if (pages === '1g') {
    await pt.map(X86_64_START_KERNEL_MAP, phys - Number(text - X86_64_START_KERNEL_MAP) + 0, GIB1);
    return text;
  }
  for (let i = 0; i < 8; i++) {
    if (pages === 'huge') await pt.map(text + BigInt(i * MIB2), phys + i * MIB2, MIB2, P | RW | (i > 3 ? NX : 0n));
    else for (let j = 0; j < 8; j++) await pt.map(text + BigInt(i * MIB2 + j * KIB4), phys + i * MIB2 + j * KIB4, KIB4);
  }
  return text;
}

describe('X86_64PageWalker', () => {
  it('translates 4 KiB, 2 MiB and 1 GiB pages, keeping the offset inside the page', async () => {
    const pt = new PageTables();
    await pt.map(0xffff_8880_0000_0000n, 0, GIB1);
    await pt.map(0xffff_ffff_8100_0000n, 0x20_0000, MIB2);
    await pt.map(0xffff_c900_0000_1000n, 0x5000, KIB4);
    const walker = new X86_64PageWalker({ read: pt.ram.read, root: BigInt(pt.root) });
    expect(await walker.translate(0xffff_8880_0123_4567n)).toEqual({ physAddr: 0x123_4567, pageSize: GIB1 });
    expect(await walker.translate(0xffff_ffff_8101_2345n)).toEqual({ physAddr: 0x21_2345, pageSize: MIB2 });
    expect(await walker.translate(0xffff_c900_0000_1abcn)).toEqual({ physAddr: 0x5abc, pageSize: KIB4 });
  });

  it('reports non-present entries and non-canonical addresses as unmapped', async () => {
    const pt = new PageTables();
    await pt.map(0xffff_ffff_8100_0000n, 0x20_0000, MIB2, RW); // not present
    const walker = new X86_64PageWalker({ read: pt.ram.read, root: BigInt(pt.root) });
    expect(await walker.translate(0xffff_ffff_8100_0000n)).toBeUndefined();
    expect(walker.lastProblem).toMatch(/level 2 entry 8 not present/);
    expect(await walker.translate(0x0000_8000_0000_0000n)).toBeUndefined();
    expect(walker.lastProblem).toMatch(/not a canonical address/);
  });

  it('masks NX and the large-page PAT bit out of the frame address', async () => {
    const pt = new PageTables();
    await pt.map(0xffff_ffff_8100_0000n, 0x40_0000, MIB2, P | NX | (1n << 12n));
    const walker = new X86_64PageWalker({ read: pt.ram.read, root: BigInt(pt.root) });
    expect((await walker.translate(0xffff_ffff_8100_0010n))?.physAddr).toBe(0x40_0010);
  });

  it('walks 5 levels when LA57 is on', async () => {
    const pt = new PageTables(5);
    await pt.map(0xff11_0000_0000_0000n, 0x40_0000, MIB2);
    const walker = new X86_64PageWalker({ read: pt.ram.read, root: BigInt(pt.root), la57: true });
    expect(await walker.translate(0xff11_0000_0000_0042n)).toEqual({ physAddr: 0x40_0042, pageSize: MIB2 });
  });

  it('treats tables and frames outside guest RAM as unmapped', async () => {
    const pt = new PageTables(4, 0x100_0000);
    await pt.map(0xffff_ffff_8100_0000n, 0x4000_0000, MIB2);
    const isRam = (a: number, n: number) => a + n <= 0x100_0000;
    const walker = new X86_64PageWalker({ read: pt.ram.read, root: BigInt(pt.root), isRam });
    expect(await walker.translate(0xffff_ffff_8100_0000n)).toBeUndefined();
    expect(walker.lastProblem).toMatch(/maps to 0x40000000, outside guest RAM/);
    const broken = new X86_64PageWalker({ read: pt.ram.read, root: 0x7_0000_0000n });
    expect(await broken.translate(0xffff_ffff_8100_0000n)).toBeUndefined();
    expect(broken.lastProblem).toMatch(/page table at 0x700000000 is outside guest RAM/);
  });

  it('stops at a self-referencing table after a fixed number of levels', async () => {
    const pt = new PageTables();
    for (let i = 0; i < 512; i++) pt.ram.writeU64(pt.root + i * 8, BigInt(pt.root) | P | RW);
    const walker = new X86_64PageWalker({ read: pt.ram.read, root: BigInt(pt.root) });
    // Every level lands back on the root table: the walk ends at level 1 with the root page itself.
    expect(await walker.translate(0xffff_ffff_8100_0000n)).toEqual({ physAddr: pt.root, pageSize: KIB4 });
    expect(pt.ram.reads).toBe(1);
  });

  it('gives up when a walk needs more distinct table pages than its budget', async () => {
    const pt = new PageTables();
    await pt.map(0xffff_ffff_8100_0000n, 0x20_0000, KIB4);
    const walker = new X86_64PageWalker({ read: pt.ram.read, root: BigInt(pt.root), maxTablePages: 2 });
    expect(await walker.translate(0xffff_ffff_8100_0000n)).toBeUndefined();
    expect(walker.lastProblem).toBe('page-table walk read more than 2 table pages');
  });
});

describe('physBaseFromPageTables', () => {
  const PHYS_BASE = -71303168n; // NUMBER(phys_base) of the fixture guest
  const OFFSET = 0x9a0_0000n; // its KERNELOFFSET
  const loadAddr = Number(BigInt.asUintN(64, PHYS_BASE + 0x100_0000n + OFFSET)); // pa(_text)

  it('finds the first kernel-image mapping and derives phys_base = phys − (virt − __START_KERNEL_map)', async () => {
    for (const pages of ['huge', '4k'] as const) {
      const pt = new PageTables();
      const text = await kernelImage(pt, OFFSET, loadAddr, pages);
      const result = await physBaseFromPageTables({ read: pt.ram.read, cpuState: { cr0: 0x8005_0033n, cr3: BigInt(pt.root), cr4: 0x3506f0n } });
      expect(result).toEqual({ ok: true, value: BigInt.asUintN(64, PHYS_BASE), virtAddr: text, physAddr: loadAddr, cr3: BigInt(pt.root) });
      expect(BigInt.asUintN(64, PHYS_BASE)).toBe(0xffff_ffff_fbc0_0000n);
    }
  });

  it('works with the kernel image inside a 1 GiB page', async () => {
    const pt = new PageTables();
    await kernelImage(pt, 0n, 0x100_0000 + 0x4000_0000, '1g');
    const result = await physBaseFromPageTables({ read: pt.ram.read, cpuState: { cr3: BigInt(pt.root) } });
    expect(result.ok && result.value).toBe(0x4000_0000n);
  });

  it('tries the _text hint first', async () => {
    const pt = new PageTables();
    const text = await kernelImage(pt, OFFSET, loadAddr);
    const result = await physBaseFromPageTables({ read: pt.ram.read, cpuState: { cr3: BigInt(pt.root) }, kernelTextVirt: text + 0x1234n });
    expect(result.ok && result.virtAddr).toBe(text + 0x1000n);
  });

  it('uses 5-level tables when CR4.LA57 is set', async () => {
    const pt = new PageTables(5);
    await kernelImage(pt, OFFSET, loadAddr);
    const result = await physBaseFromPageTables({ read: pt.ram.read, cpuState: { cr3: BigInt(pt.root), cr4: 0x3506f0n | (1n << 12n) } });
    expect(result.ok && result.value).toBe(0xffff_ffff_fbc0_0000n);
  });

  it('ignores PCID bits and falls back from a PTI user PGD to the kernel PGD', async () => {
    const kernelPgd = 0x4000;
    const pt = new PageTables(4, 0x1000_0000, kernelPgd);
    await kernelImage(pt, OFFSET, loadAddr);
    const userCr3 = BigInt(kernelPgd) | 0x1000n | 0x5n | (1n << 63n);
    const result = await physBaseFromPageTables({ read: pt.ram.read, cpuState: [{ cr3: userCr3 }] });
    expect(result.ok && result.value).toBe(0xffff_ffff_fbc0_0000n);
    expect(result.ok && result.cr3).toBe(userCr3);
  });

  it('says why when paging is off, the mode is not long mode, or nothing is mapped', async () => {
    const pt = new PageTables();
    const result = await physBaseFromPageTables({
      read: pt.ram.read,
      cpuState: [{ cr0: 0x11n, cr3: 0n }, { cr0: 0x8000_0011n, cr3: 0x1000n, cr4: 0n }, { cr3: BigInt(pt.root) }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(/CPU 0: paging is off/);
      expect(result.reason).toMatch(/CPU 1: not in long mode/);
      expect(result.reason).toMatch(/CR3 0x1000: no usable mapping in 0xffffffff80000000..0xffffffffc0000000/);
    }
  });

  it('rejects a mapping that would give a phys_base not aligned to 2 MiB (garbage tables)', async () => {
    const pt = new PageTables();
    for (let i = 0; i < 512; i++) pt.ram.writeU64(pt.root + i * 8, BigInt(pt.root) | P | RW);
    const result = await physBaseFromPageTables({ read: pt.ram.read, cpuState: { cr3: BigInt(pt.root) } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/not 2 MiB-aligned/);
    expect(pt.ram.reads).toBe(1);
  });

  it('warns when two kernel-image mappings disagree', async () => {
    const pt = new PageTables();
    await pt.map(X86_64_START_KERNEL_MAP + 0x100_0000n, 0x100_0000, MIB2);
    await pt.map(X86_64_START_KERNEL_MAP + 0x120_0000n, 0x300_0000, MIB2);
    const result = await physBaseFromPageTables({ read: pt.ram.read, cpuState: { cr3: BigInt(pt.root) } });
    expect(result.ok && result.value).toBe(0n);
    expect(result.ok && result.warning).toMatch(/page tables disagree/);
  });
});

describe('kernel-image address helpers', () => {
  it('apply __pa_symbol() with a u64 phys_base', () => {
    const physBase = 0xffff_ffff_fbc0_0000n;
    expect(kernelVirtToPhys(0xffff_ffff_8aa0_0000n, physBase)).toBe(0x660_0000n);
    expect(physBaseFromMapping(0xffff_ffff_8aa0_0000n, 0x660_0000)).toBe(physBase);
  });
});
