import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kernelVirtToPhys, physBaseFromMapping, physBaseFromPageTables, resolvePhysBase, type PhysBaseArch } from '@vmcore/vmcoreinfo';
import { CR0_PG, CR4_LA57, CR4_PAE, X86_64, X86_64_KERNEL_IMAGE, x86Translate, X86Translator, type X86PagingCpu } from '../src/index.js';

const X86_64_START_KERNEL_MAP = X86_64_KERNEL_IMAGE.start;
const CS_L = 1 << 21;

/** A long-mode CPU (as the QEMU note gives it) on the tables at `root`. */
function longMode(root: bigint, la57 = false): X86PagingCpu {
  return { cr0: 0x8005_0033n, cr3: root, cr4: 0x3506f0n | (la57 ? CR4_LA57 : 0n), csFlags: CS_L };
}

/** Guest RAM for page-table tests: blocks backed by buffers, reads counted. */
class FakeRam {
  readonly blocks: { start: number; size: number; bytes: Uint8Array }[];
  reads = 0;
  constructor(ranges: readonly { start: number; size: number }[]) {
    this.blocks = ranges.map((r) => ({ ...r, bytes: new Uint8Array(r.size) }));
  }
  private at(addr: number, length: number) {
    const block = this.blocks.find((b) => addr >= b.start && addr + length <= b.start + b.size);
    if (!block) throw new Error(`test RAM: ${addr}+${length} is outside every block`);
    return { block, off: addr - block.start };
  }
  writeU64(addr: number, value: bigint): void {
    const { block, off } = this.at(addr, 8);
    new DataView(block.bytes.buffer).setBigUint64(off, value, true);
  }
  read = async (addr: number, length: number): Promise<Uint8Array> => {
    this.reads++;
    const { block, off } = this.at(addr, length);
    return block.bytes.slice(off, off + length);
  };
  get ranges(): { start: number; size: number }[] {
    return this.blocks.map(({ start, size }) => ({ start, size }));
  }
}

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

/** A translator on one long-mode CPU, as vmcoreinfo's tests used X86_64PageWalker. */
function translatorFor(
  pt: PageTables,
  options: { root?: bigint; la57?: boolean; maxTablePages?: number; ranges?: { start: number; size: number }[] } = {},
) {
  const cpu = longMode(options.root ?? BigInt(pt.root), options.la57);
  return new X86Translator(
    pt.ram.read,
    options.ranges ?? pt.ram.ranges,
    cpu,
    options.maxTablePages !== undefined ? { maxTablePages: options.maxTablePages } : {},
  );
}

/** phys_base from the page tables of these CPUs, through the one walker. */
function fromTables(pt: PageTables, cpus: readonly X86PagingCpu[], kernelTextVirt?: bigint, ranges = pt.ram.ranges) {
  return physBaseFromPageTables({
    translate: x86Translate(pt.ram.read, ranges, cpus),
    image: X86_64_KERNEL_IMAGE,
    ...(kernelTextVirt !== undefined ? { kernelTextVirt } : {}),
  });
}

describe('X86Translator (the x86 walker, one path down)', () => {
  it('translates 4 KiB, 2 MiB and 1 GiB pages, keeping the offset inside the page', async () => {
    const pt = new PageTables();
    await pt.map(0xffff_8880_0000_0000n, 0, GIB1);
    await pt.map(0xffff_ffff_8100_0000n, 0x20_0000, MIB2);
    await pt.map(0xffff_c900_0000_1000n, 0x5000, KIB4);
    const walker = translatorFor(pt);
    expect(await walker.translate(0xffff_8880_0123_4567n)).toEqual({ physAddr: 0x123_4567, pageSize: GIB1 });
    expect(await walker.translate(0xffff_ffff_8101_2345n)).toEqual({ physAddr: 0x21_2345, pageSize: MIB2 });
    expect(await walker.translate(0xffff_c900_0000_1abcn)).toEqual({ physAddr: 0x5abc, pageSize: KIB4 });
  });

  it('reports non-present entries and non-canonical addresses as unmapped', async () => {
    const pt = new PageTables();
    await pt.map(0xffff_ffff_8100_0000n, 0x20_0000, MIB2, RW); // not present
    const walker = translatorFor(pt);
    expect(await walker.translate(0xffff_ffff_8100_0000n)).toBeUndefined();
    expect(walker.lastProblem).toMatch(/level 2 entry 8 not present/);
    expect(await walker.translate(0x0000_8000_0000_0000n)).toBeUndefined();
    expect(walker.lastProblem).toMatch(/not a canonical address/);
  });

  it('masks NX and the large-page PAT bit out of the frame address', async () => {
    const pt = new PageTables();
    await pt.map(0xffff_ffff_8100_0000n, 0x40_0000, MIB2, P | NX | (1n << 12n));
    const walker = translatorFor(pt);
    expect((await walker.translate(0xffff_ffff_8100_0010n))?.physAddr).toBe(0x40_0010);
  });

  it('walks 5 levels when LA57 is on', async () => {
    const pt = new PageTables(5);
    await pt.map(0xff11_0000_0000_0000n, 0x40_0000, MIB2);
    const walker = translatorFor(pt, { la57: true });
    expect(await walker.translate(0xff11_0000_0000_0042n)).toEqual({ physAddr: 0x40_0042, pageSize: MIB2 });
  });

  it('treats tables and frames outside guest RAM as unmapped', async () => {
    const pt = new PageTables(4, 0x100_0000);
    await pt.map(0xffff_ffff_8100_0000n, 0x4000_0000, MIB2);
    const w = translatorFor(pt);
    expect(await w.translate(0xffff_ffff_8100_0000n)).toBeUndefined();
    expect(w.lastProblem).toMatch(/maps to 0x40000000, outside guest RAM/);
    const broken = translatorFor(pt, { root: 0x7_0000_0000n });
    expect(await broken.translate(0xffff_ffff_8100_0000n)).toBeUndefined();
    expect(broken.lastProblem).toMatch(/page table at 0x700000000 is outside guest RAM/);
  });

  it('stops at a self-referencing table after a fixed number of levels', async () => {
    const pt = new PageTables();
    for (let i = 0; i < 512; i++) pt.ram.writeU64(pt.root + i * 8, BigInt(pt.root) | P | RW);
    const walker = translatorFor(pt);
    // Every level lands back on the root table: the walk ends at level 1 with the root page itself.
    expect(await walker.translate(0xffff_ffff_8100_0000n)).toEqual({ physAddr: pt.root, pageSize: KIB4 });
    expect(pt.ram.reads).toBe(1);
  });

  it('gives up when a walk needs more distinct table pages than its budget', async () => {
    const pt = new PageTables();
    await pt.map(0xffff_ffff_8100_0000n, 0x20_0000, KIB4);
    const walker = translatorFor(pt, { maxTablePages: 2 });
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
      const result = await fromTables(pt, [longMode(BigInt(pt.root))]);
      expect(result).toEqual({ ok: true, value: BigInt.asUintN(64, PHYS_BASE), virtAddr: text, physAddr: loadAddr });
      expect(BigInt.asUintN(64, PHYS_BASE)).toBe(0xffff_ffff_fbc0_0000n);
    }
  });

  it('works with the kernel image inside a 1 GiB page', async () => {
    const pt = new PageTables();
    await kernelImage(pt, 0n, 0x100_0000 + 0x4000_0000, '1g');
    // The 1 GiB frame lies beyond the test's table RAM: say the guest has 2 GiB.
    const result = await fromTables(pt, [longMode(BigInt(pt.root))], undefined, [{ start: 0, size: 0x8000_0000 }]);
    expect(result.ok && result.value).toBe(0x4000_0000n);
  });

  it('tries the _text hint first', async () => {
    const pt = new PageTables();
    const text = await kernelImage(pt, OFFSET, loadAddr);
    const result = await fromTables(pt, [longMode(BigInt(pt.root))], text + 0x1234n);
    expect(result.ok && result.virtAddr).toBe(text + 0x1000n);
  });

  it('uses 5-level tables when CR4.LA57 is set', async () => {
    const pt = new PageTables(5);
    await kernelImage(pt, OFFSET, loadAddr);
    const result = await fromTables(pt, [longMode(BigInt(pt.root), true)]);
    expect(result.ok && result.value).toBe(0xffff_ffff_fbc0_0000n);
  });

  it('ignores PCID bits and falls back from a PTI user PGD to the kernel PGD', async () => {
    const kernelPgd = 0x4000;
    const pt = new PageTables(4, 0x1000_0000, kernelPgd);
    await kernelImage(pt, OFFSET, loadAddr);
    const userCr3 = BigInt(kernelPgd) | 0x1000n | 0x5n | (1n << 63n);
    const result = await fromTables(pt, [longMode(userCr3)]);
    expect(result.ok && result.value).toBe(0xffff_ffff_fbc0_0000n);
  });

  it('says why when paging is off, the mode is not long mode, or nothing is mapped', async () => {
    const pt = new PageTables();
    const cpus = [{ cr0: 0x11n, cr3: 0n, cr4: 0n }, { cr0: 0x8000_0011n, cr3: 0x1000n, cr4: 0n }, longMode(BigInt(pt.root))];
    const result = await fromTables(pt, cpus);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/^no usable mapping in 0xffffffff80000000..0xffffffffc0000000/);
    const off = new X86Translator(pt.ram.read, pt.ram.ranges, cpus[0]!);
    expect(await off.translate(X86_64_START_KERNEL_MAP)).toBeUndefined();
    expect(off.lastProblem).toMatch(/paging is off/);
    const legacy = new X86Translator(pt.ram.read, pt.ram.ranges, cpus[1]!);
    expect(await legacy.translate(X86_64_START_KERNEL_MAP)).toBeUndefined();
    expect(legacy.lastProblem).toMatch(/not a canonical address/); // 32-bit paging maps nothing above 4 GiB
  });

  it('rejects a mapping that would give a phys_base not aligned to 2 MiB (garbage tables)', async () => {
    const pt = new PageTables();
    for (let i = 0; i < 512; i++) pt.ram.writeU64(pt.root + i * 8, BigInt(pt.root) | P | RW);
    const result = await fromTables(pt, [longMode(BigInt(pt.root))]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/not aligned to 0x200000/);
    expect(pt.ram.reads).toBe(1);
  });

  it('warns when two kernel-image mappings disagree', async () => {
    const pt = new PageTables();
    await pt.map(X86_64_START_KERNEL_MAP + 0x100_0000n, 0x100_0000, MIB2);
    await pt.map(X86_64_START_KERNEL_MAP + 0x120_0000n, 0x300_0000, MIB2);
    const result = await fromTables(pt, [longMode(BigInt(pt.root))]);
    expect(result.ok && result.value).toBe(0n);
    expect(result.ok && result.warning).toMatch(/page tables disagree/);
  });
});

describe('kernel-image address helpers', () => {
  it('apply __pa_symbol() with a u64 phys_base', () => {
    const physBase = 0xffff_ffff_fbc0_0000n;
    expect(kernelVirtToPhys(0xffff_ffff_8aa0_0000n, physBase, X86_64_KERNEL_IMAGE)).toBe(0x660_0000n);
    expect(X86_64.kernel.imageVirtToPhys!(0xffff_ffff_8aa0_0000n, physBase)).toBe(0x660_0000n);
    expect(physBaseFromMapping(0xffff_ffff_8aa0_0000n, 0x660_0000, X86_64_KERNEL_IMAGE)).toBe(physBase);
  });
});

describe('x86 page tables and @vmcore/vmcoreinfo', () => {
  it("satisfy vmcoreinfo's PhysBaseArch contract with the rules its tests use", () => {
    const rules: PhysBaseArch = X86_64.kernel;
    expect(rules).toMatchObject({
      name: 'x86_64',
      physBaseKey: 'phys_base',
      image: { start: 0xffff_ffff_8000_0000n, size: 1n << 30n, textOffset: 0x100_0000n, align: 1n << 21n },
    });
  });

  it('resolvePhysBase on a hostile guest note and random page tables always answers (with a warning) and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 120 }),
        fc.uint8Array({ minLength: 0x3000, maxLength: 0x3000 }),
        async (guestNote, mem) => {
          const read = async (addr: number, length: number) => mem.slice(addr, addr + length);
          const translate = x86Translate(read, [{ start: 0, size: mem.length }], [longMode(0x1000n)]);
          const result = await resolvePhysBase({ arch: X86_64.kernel, guestNote, read, translate });
          expect(['vmcoreinfo', 'page-tables', 'default']).toContain(result.source);
          if (result.source !== 'vmcoreinfo') expect(result.warning).toBeDefined();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the translator reads at most levels × 1 table pages per translation of random tables', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0x4000, maxLength: 0x4000 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        async (mem, virt) => {
          let reads = 0;
          const read = async (addr: number, length: number) => {
            reads++;
            const at = addr % 0x3000; // every table page lands inside the random bytes
            return mem.slice(at, at + length);
          };
          const translator = new X86Translator(read, [{ start: 0, size: 2 ** 52 }], { cr0: CR0_PG, cr3: 0n, cr4: CR4_PAE, csFlags: CS_L });
          await translator.translate(virt);
          expect(reads).toBeLessThanOrEqual(4);
        },
      ),
    );
  });
});
