import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isVmcoreError } from '@vmcore/bytes';
import {
  CR0_PG,
  CR4_LA57,
  CR4_PAE,
  CR4_PSE,
  EFER_LMA,
  encodeQemuCpuState,
  guestPagingMappings,
  pagingMappings,
  QEMU_SEGMENTS,
  x86LongMode,
  x86PagingCpuFromQemuNote,
  x86PagingMode,
  type GuestMemory,
  type PhysBlock,
  type X86PagingCpu,
} from '../src/index.js';

const KiB4 = 0x1000;
const MiB2 = 0x200000;
const GiB1 = 0x40000000;
const PRESENT = 1n;
const RW = 2n;
const PS = 0x80n;
const NX = 1n << 63n;
const CR0_PE = 1n;
const CS_L = 1 << 21;

/** A QEMU note descriptor with the given paging state, everything else zero. */
function qemuNote(cpu: X86PagingCpu): Uint8Array {
  const segment = { selector: 0, limit: 0, flags: 0, base: 0n };
  const segments = Object.fromEntries(QEMU_SEGMENTS.map((name) => [name, segment])) as Record<
    (typeof QEMU_SEGMENTS)[number],
    typeof segment
  >;
  const regs = Object.fromEntries(
    ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags'].map(
      (r) => [r, 0n],
    ),
  ) as never;
  return encodeQemuCpuState({
    regs,
    segments: { ...segments, cs: { ...segment, flags: cpu.csFlags ?? 0 } },
    cr: [cpu.cr0, 0n, 0n, cpu.cr3, cpu.cr4],
    kernelGsBase: cpu.kernelGsBase ?? 0n,
  });
}

/** Sparse guest RAM holding only the page-table pages a test writes; everything else reads 0. */
class SparseRam {
  readonly pages = new Map<number, Uint8Array>();
  reads = 0;
  private next: number;

  constructor(
    readonly blocks: PhysBlock[],
    tableArea: number,
  ) {
    this.next = tableArea;
  }

  /** A fresh zeroed 4 KiB page-table page. */
  table(): number {
    const addr = this.next;
    this.next += KiB4;
    this.pages.set(addr, new Uint8Array(KiB4));
    return addr;
  }

  set64(table: number, index: number, value: bigint): void {
    const page = this.pages.get(table)!;
    new DataView(page.buffer).setBigUint64(index * 8, value, true);
  }

  set32(table: number, index: number, value: number): void {
    const page = this.pages.get(table)!;
    new DataView(page.buffer).setUint32(index * 4, value, true);
  }

  read = async (addr: number, length: number): Promise<Uint8Array> => {
    this.reads++;
    const inside = this.blocks.some((b) => addr >= b.start && addr + length <= b.start + b.size);
    if (!inside) throw new Error(`read outside RAM at 0x${addr.toString(16)}`);
    const out = new Uint8Array(length);
    for (let off = 0; off < length;) {
      const page = Math.floor((addr + off) / KiB4) * KiB4;
      const within = addr + off - page;
      const n = Math.min(KiB4 - within, length - off);
      const bytes = this.pages.get(page);
      if (bytes) out.set(bytes.subarray(within, within + n), off);
      off += n;
    }
    return out;
  };
}

/** 4-level tables under construction: map(virt, phys, size) creates the path on demand. */
class LongModeTables {
  readonly root: number;
  constructor(
    readonly ram: SparseRam,
    readonly levels: 4 | 5 = 4,
  ) {
    this.root = ram.table();
  }

  map(virt: bigint, phys: bigint, size: number, flags = PRESENT | RW): void {
    const shifts = this.levels === 5 ? [48n, 39n, 30n, 21n, 12n] : [39n, 30n, 21n, 12n];
    const leafShift = size === GiB1 ? 30n : size === MiB2 ? 21n : 12n;
    let table = this.root;
    for (const shift of shifts) {
      const index = Number((virt >> shift) & 0x1ffn);
      if (shift === leafShift) {
        this.ram.set64(table, index, phys | flags | (size === KiB4 ? 0n : PS));
        return;
      }
      const view = new DataView(this.ram.pages.get(table)!.buffer);
      let entry = view.getBigUint64(index * 8, true);
      if ((entry & PRESENT) === 0n) {
        const child = this.ram.table();
        entry = BigInt(child) | PRESENT | RW;
        this.ram.set64(table, index, entry);
      }
      table = Number(entry & 0xffffffffff000n);
    }
  }
}

const RAM: PhysBlock[] = [
  { start: 0, size: 0xa0000, name: 'pc.ram' },
  { start: 0x100000, size: 0x7f00000, name: 'pc.ram' },
];

function longModeCpu(cr3: number, extra: Partial<X86PagingCpu> = {}): X86PagingCpu {
  return { cr0: CR0_PG | CR0_PE, cr3: BigInt(cr3), cr4: CR4_PAE, efer: EFER_LMA | 0x500n, ...extra };
}

describe('pagingMappings: IA-32e 4-level walk', () => {
  it('maps 4 KiB pages, skips non-present entries and merges runs contiguous in phys and virt', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const t = new LongModeTables(ram);
    t.map(0xffff888000200000n, 0x200000n, KiB4);
    t.map(0xffff888000201000n, 0x201000n, KiB4);
    t.map(0xffff888000202000n, 0x202000n, KiB4, RW); // not present
    t.map(0xffff888000203000n, 0x203000n, KiB4);
    t.map(0xffff888000204000n, 0x204000n, KiB4 /* NX is dropped from the address */, PRESENT | NX);
    const mappings = await pagingMappings(ram.read, [longModeCpu(t.root)], RAM);
    expect(mappings).toEqual([
      { physAddr: 0x200000, virtAddr: 0xffff888000200000n, length: 2 * KiB4 },
      { physAddr: 0x203000, virtAddr: 0xffff888000203000n, length: 2 * KiB4 },
    ]);
  });

  it('gives lower-half (user) addresses the 0xffff prefix, as QEMU starts every 4-level walk at 0xffff << 48', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const t = new LongModeTables(ram);
    t.map(0x00007fff12345000n, 0x300000n, KiB4);
    t.map(0x0000000000400000n, 0x400000n, KiB4);
    const mappings = await pagingMappings(ram.read, [longModeCpu(t.root)], RAM);
    expect(mappings).toEqual([
      { physAddr: 0x300000, virtAddr: 0xffff7fff12345000n, length: KiB4 },
      { physAddr: 0x400000, virtAddr: 0xffff000000400000n, length: KiB4 },
    ]);
  });

  it('maps 2 MiB and 1 GiB pages whole and sorts the list by physical address', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const t = new LongModeTables(ram);
    t.map(0xffffffff80000000n, 0x1000000n, MiB2);
    t.map(0xffffffff80200000n, 0x1200000n, MiB2);
    t.map(0xffff888000000000n, 0n, GiB1);
    const mappings = await pagingMappings(ram.read, [longModeCpu(t.root)], RAM);
    expect(mappings).toEqual([
      { physAddr: 0, virtAddr: 0xffff888000000000n, length: GiB1 },
      { physAddr: 0x1000000, virtAddr: 0xffffffff80000000n, length: 2 * MiB2 },
    ]);
  });

  it('drops pages whose first byte is not RAM (holes, above RAM, address bits 62:52 set) but keeps a large page that only ends outside RAM', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const t = new LongModeTables(ram);
    t.map(0xffffc90000000000n, 0xa0000n, KiB4); // VGA hole
    t.map(0xffffc90000001000n, 0x9f000n, KiB4); // last RAM page below the hole
    t.map(0xffffc90000002000n, 0xfebf0000n, KiB4); // MMIO
    t.map(0xffffc90000003000n, (1n << 52n) | 0x5000n, KiB4); // bit 52: not an address QEMU masks off
    t.map(0xffffc90000200000n, 0n, MiB2); // starts in RAM, spans the VGA hole
    t.map(0xffffc90000400000n, 0x8000000n, MiB2); // starts right after RAM
    const mappings = await pagingMappings(ram.read, [longModeCpu(t.root)], RAM);
    expect(mappings).toEqual([
      { physAddr: 0, virtAddr: 0xffffc90000200000n, length: MiB2 },
      { physAddr: 0x9f000, virtAddr: 0xffffc90000001000n, length: KiB4 },
    ]);
  });

  it('walks every CPU from the first with paging on, and a second CPU with the same CR3 adds nothing', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const a = new LongModeTables(ram);
    a.map(0xffff888000200000n, 0x200000n, KiB4);
    a.map(0xffff888000300000n, 0x300000n, KiB4);
    const b = new LongModeTables(ram);
    b.map(0x0000000000600000n, 0x600000n, KiB4);
    const off: X86PagingCpu = { cr0: CR0_PE, cr3: BigInt(b.root), cr4: 0n };
    const one = await pagingMappings(ram.read, [longModeCpu(a.root)], RAM);
    const twice = await pagingMappings(ram.read, [longModeCpu(a.root), longModeCpu(a.root)], RAM);
    expect(twice).toEqual(one);
    expect(one).toHaveLength(2);
    // A CPU without paging before the first paging one is skipped, whatever its CR3.
    const skipped = await pagingMappings(ram.read, [{ ...off, cr0: CR0_PE }, longModeCpu(a.root)], RAM);
    expect(skipped).toEqual(one);
    // A later CPU with its own tables adds its pages.
    const both = await pagingMappings(ram.read, [longModeCpu(a.root), off, longModeCpu(b.root)], RAM);
    expect(both).toEqual([...one, { physAddr: 0x600000, virtAddr: 0xffff000000600000n, length: KiB4 }]);
  });

  it('reads each page-table page once even when several CPUs share it', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const t = new LongModeTables(ram);
    for (let i = 0; i < 64; i++) t.map(0xffff888000000000n + BigInt(i) * 0x200000n, BigInt(i) * 0x200000n + 0x100000n, KiB4);
    await pagingMappings(ram.read, [longModeCpu(t.root), longModeCpu(t.root), longModeCpu(t.root)], RAM);
    expect(ram.reads).toBe(ram.pages.size);
  });

  it('treats page tables outside RAM as empty instead of failing', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const t = new LongModeTables(ram);
    t.map(0xffff888000200000n, 0x200000n, KiB4);
    ram.set64(t.root, 5, 0xfee00000n | PRESENT); // a PML4 entry pointing at the APIC
    const mappings = await pagingMappings(ram.read, [longModeCpu(0xc0000), longModeCpu(t.root)], RAM);
    expect(mappings).toEqual([{ physAddr: 0x200000, virtAddr: 0xffff888000200000n, length: KiB4 }]);
  });

  it('maps every block at virt = phys when no CPU has paging enabled', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const cpu: X86PagingCpu = { cr0: CR0_PE, cr3: 0n, cr4: 0n };
    expect(await pagingMappings(ram.read, [cpu, cpu], RAM)).toEqual([
      { physAddr: 0, virtAddr: 0n, length: 0xa0000 },
      { physAddr: 0x100000, virtAddr: 0x100000n, length: 0x7f00000 },
    ]);
  });

  it('stops with VMCORE_TOO_LARGE on self-referencing tables instead of walking 512^4 entries', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const self = ram.table();
    for (let i = 0; i < 512; i++) ram.set64(self, i, BigInt(self) | PRESENT | RW);
    const started = Date.now();
    let error: unknown;
    try {
      await pagingMappings(ram.read, [longModeCpu(self)], RAM, { maxMappings: 100_000 });
    } catch (e) {
      error = e;
    }
    expect(isVmcoreError(error, 'VMCORE_TOO_LARGE')).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('stops with VMCORE_TOO_LARGE when merged pages keep the list small but the walk is huge', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const pt = ram.table();
    for (let i = 0; i < 512; i++) ram.set64(pt, i, BigInt(0x200000 + i * KiB4) | PRESENT);
    const pd = ram.table();
    for (let i = 0; i < 512; i++) ram.set64(pd, i, BigInt(pt) | PRESENT);
    const pdpt = ram.table();
    for (let i = 0; i < 512; i++) ram.set64(pdpt, i, BigInt(pd) | PRESENT);
    const pml4 = ram.table();
    for (let i = 0; i < 512; i++) ram.set64(pml4, i, BigInt(pdpt) | PRESENT);
    await expect(pagingMappings(ram.read, [longModeCpu(pml4)], RAM, { maxEntries: 1_000_000 })).rejects.toMatchObject({
      code: 'VMCORE_TOO_LARGE',
      message: expect.stringMatching(/more than 1000000 present page-table entries/),
    });
  });

  it('computes ~65k mappings (a 512 MiB guest with paging=true) quickly, walked by two CPUs', async () => {
    const ram = new SparseRam(RAM, 0x7800000);
    const t = new LongModeTables(ram);
    // Every other page of 0x1000000..0x11000000 mapped contiguously in virt: no two merge.
    for (let i = 0; i < 65536; i++) t.map(0xffffc90000000000n + BigInt(i * KiB4), BigInt(0x1000000 + i * 2 * KiB4), KiB4);
    const blocks = [...RAM.slice(0, 1), { start: 0x100000, size: 0x40000000 - 0x100000 }];
    const started = performance.now();
    const mappings = await pagingMappings(ram.read, [longModeCpu(t.root), longModeCpu(t.root)], blocks);
    const ms = performance.now() - started;
    expect(mappings).toHaveLength(65536);
    expect(mappings[65535]).toEqual({
      physAddr: 0x1000000 + 65535 * 2 * KiB4,
      virtAddr: 0xffffc90000000000n + 65535n * 4096n,
      length: KiB4,
    });
    expect(ms).toBeLessThan(3000);
  });
});

describe('pagingMappings on hostile page tables', () => {
  it('returns a sorted list of RAM-starting mappings or a VmcoreError for random tables in every mode (property)', async () => {
    const entry = (tables: number[]) =>
      fc.oneof(
        fc.constant(0n),
        fc.tuple(fc.constantFrom(...tables), fc.boolean()).map(([t, ps]) => BigInt(t) | PRESENT | (ps ? PS : 0n)),
        fc
          .tuple(fc.integer({ min: 0, max: 0x7fff }), fc.boolean(), fc.boolean())
          .map(([page, ps, nx]) => (BigInt(page) << 12n) | PRESENT | (ps ? PS : 0n) | (nx ? NX : 0n)),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      );
    await fc.assert(
      fc.asyncProperty(
        // Low indexes often, so PAE's four PDPTEs and the first entries of every level get hit.
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 511 })), fc.integer({ min: 0, max: 3 })), {
          minLength: 20,
          maxLength: 400,
        }),
        fc.infiniteStream(entry([0x7000000, 0x7001000, 0x7002000, 0x7003000])),
        fc.constantFrom('4-level', '5-level', 'pae', '32-bit'),
        async (slots, values, mode) => {
          const ram = new SparseRam(RAM, 0x7000000);
          const tables = [ram.table(), ram.table(), ram.table(), ram.table()];
          const stream = values[Symbol.iterator]();
          for (const [index, table] of slots) {
            const value = stream.next().value as bigint;
            if (mode === '32-bit') ram.set32(tables[table]!, index, Number(value & 0xffffffffn));
            else ram.set64(tables[table]!, index, value);
          }
          const cpu: X86PagingCpu =
            mode === '32-bit'
              ? { cr0: CR0_PG, cr3: BigInt(tables[0]!), cr4: CR4_PSE }
              : mode === 'pae'
                ? { cr0: CR0_PG, cr3: BigInt(tables[0]!), cr4: CR4_PAE, efer: 0n }
                : longModeCpu(tables[0]!, mode === '5-level' ? { cr4: CR4_PAE | CR4_LA57 } : {});
          try {
            const mappings = await pagingMappings(ram.read, [cpu, cpu], RAM, { maxEntries: 100_000, maxMappings: 50_000 });
            for (const [i, m] of mappings.entries()) {
              expect(RAM.some((b) => m.physAddr >= b.start && m.physAddr < b.start + b.size)).toBe(true);
              expect(Number.isSafeInteger(m.length) && m.length > 0).toBe(true);
              if (i > 0) expect(m.physAddr).toBeGreaterThanOrEqual(mappings[i - 1]!.physAddr);
            }
          } catch (error) {
            expect(isVmcoreError(error, 'VMCORE_TOO_LARGE')).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('pagingMappings: other x86 paging modes', () => {
  it('walks 5-level tables (CR4.LA57) with line addresses starting at 0x7f << 57', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const t = new LongModeTables(ram, 5);
    t.map(0xff11000000200000n, 0x200000n, KiB4);
    t.map(0x0000000000400000n, 0x400000n, MiB2);
    const mappings = await pagingMappings(ram.read, [longModeCpu(t.root, { cr4: CR4_PAE | CR4_LA57 })], RAM);
    expect(mappings).toEqual([
      { physAddr: 0x200000, virtAddr: 0xff11000000200000n, length: KiB4 },
      { physAddr: 0x400000, virtAddr: 0xfe00000000400000n, length: MiB2 },
    ]);
  });

  it('walks PAE tables (CR4.PAE without long mode): 4 PDPTEs at CR3 & ~0x1f, 2 MiB and 4 KiB pages', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const pdptPage = ram.table();
    const pdpt = pdptPage + 0x20; // 32-byte aligned, not page aligned
    const pd = ram.table();
    const pt = ram.table();
    ram.set64(pdptPage, 4 + 3, BigInt(pd) | PRESENT); // PDPTE 3: 0xc0000000
    ram.set64(pd, 0, 0x400000n | PS | PRESENT | RW);
    ram.set64(pd, 1, BigInt(pt) | PRESENT | RW);
    ram.set64(pt, 0, 0x9000n | PRESENT | NX);
    ram.set64(pt, 1, 0xa0000n | PRESENT); // VGA hole
    const cpu: X86PagingCpu = { cr0: CR0_PG | CR0_PE, cr3: BigInt(pdpt) | 0x18n, cr4: CR4_PAE };
    expect(x86PagingMode(cpu)).toBe('pae');
    expect(await pagingMappings(ram.read, [cpu], RAM)).toEqual([
      { physAddr: 0x9000, virtAddr: 0xc0200000n, length: KiB4 },
      { physAddr: 0x400000, virtAddr: 0xc0000000n, length: MiB2 },
    ]);
  });

  it('walks 32-bit tables: 4 MiB pages only with CR4.PSE, PSE-36 high bits 39:32 from PDE bits 20:13', async () => {
    const blocks: PhysBlock[] = [...RAM, { start: 0x100000000, size: 0x800000 }];
    const ram = new SparseRam(blocks, 0x7000000);
    const pd = ram.table();
    const pt = ram.table();
    ram.set32(pd, 0x300, 0x00800000 | 0x80 | 1); // 4 MiB page at 8 MiB, va 0xc0000000
    ram.set32(pd, 0x301, (1 << 13) | 0x80 | 1); // 4 MiB page at 4 GiB (PSE-36), va 0xc0400000
    ram.set32(pd, 0x010, pt | 1);
    ram.set32(pt, 2, 0x00005000 | 1);
    ram.set32(pt, 3, 0x00006000 | 1);
    const cpu: X86PagingCpu = { cr0: CR0_PG | CR0_PE, cr3: BigInt(pd), cr4: CR4_PSE };
    expect(await pagingMappings(ram.read, [cpu], blocks)).toEqual([
      { physAddr: 0x5000, virtAddr: 0x04002000n, length: 2 * KiB4 },
      { physAddr: 0x800000, virtAddr: 0xc0000000n, length: 0x400000 },
      { physAddr: 0x100000000, virtAddr: 0xc0400000n, length: 0x400000 },
    ]);
    // Without CR4.PSE the PS bit is ignored and the entry is a page-table pointer.
    const noPse = await pagingMappings(ram.read, [{ ...cpu, cr4: 0n }], blocks);
    expect(noPse).toEqual([{ physAddr: 0x5000, virtAddr: 0x04002000n, length: 2 * KiB4 }]);
  });
});

describe('x86 paging state', () => {
  const base: X86PagingCpu = { cr0: CR0_PG | CR0_PE, cr3: 0x1000n, cr4: CR4_PAE };

  it('takes long mode from EFER.LMA when known, else infers it from CS.L, KERNEL_GS_BASE or CR3 above 4 GiB', () => {
    expect(x86LongMode({ ...base, efer: EFER_LMA, csFlags: 0 })).toBe(true);
    expect(x86LongMode({ ...base, efer: 0n, csFlags: CS_L })).toBe(false);
    expect(x86LongMode({ ...base, csFlags: CS_L })).toBe(true);
    expect(x86LongMode({ ...base, csFlags: 0, kernelGsBase: 0xffff88801f400000n })).toBe(true);
    expect(x86LongMode({ ...base, cr3: 0x100000000n })).toBe(true);
    expect(x86LongMode({ ...base, csFlags: 0 })).toBe(false);
    expect(x86LongMode({ ...base, csFlags: 0 }, true)).toBe(true);
    expect(x86LongMode({ ...base, cr4: 0n, csFlags: CS_L })).toBe(false);
    expect(x86PagingMode({ ...base, cr0: CR0_PE })).toBe('none');
    expect(x86PagingMode({ ...base, cr4: 0n })).toBe('32-bit');
    expect(x86PagingMode({ ...base, csFlags: CS_L })).toBe('4-level');
    expect(x86PagingMode({ ...base, cr4: CR4_PAE | CR4_LA57, csFlags: CS_L })).toBe('5-level');
  });

  it('decodes CR0, CR3, CR4, CS flags and KERNEL_GS_BASE from a 440-byte QEMUCPUState note', () => {
    const cpu = { cr0: 0x80050033n, cr3: 0x10a4a000n, cr4: 0x3506f0n, csFlags: 0xa09b00, kernelGsBase: 0xffff88801f600000n };
    const desc = qemuNote(cpu);
    expect(desc.length).toBe(440);
    const view = new DataView(desc.buffer);
    expect(view.getUint32(4, true)).toBe(440);
    expect(view.getUint32(160, true)).toBe(0xa09b00); // cs.flags
    expect(view.getBigUint64(392 + 24, true)).toBe(0x10a4a000n); // cr[3]
    expect(x86PagingCpuFromQemuNote(desc)).toEqual(cpu);
  });

  it('accepts the older 432-byte note without kernel_gs_base and rejects short or unknown ones', () => {
    const desc = qemuNote({ cr0: CR0_PG, cr3: 0x2000n, cr4: CR4_PAE, csFlags: CS_L }).subarray(0, 432);
    expect(x86PagingCpuFromQemuNote(desc)).toEqual({ cr0: CR0_PG, cr3: 0x2000n, cr4: CR4_PAE, csFlags: CS_L });
    expect(() => x86PagingCpuFromQemuNote(desc.subarray(0, 400))).toThrow(/descriptor is 400 bytes, expected at least 432/);
    const v2 = desc.slice();
    v2[0] = 2;
    expect(() => x86PagingCpuFromQemuNote(v2)).toThrow(/version 2, expected 1/);
  });

  it('guestPagingMappings reads CPUs from the QEMU notes and assumes long mode for an x86_64 guest', async () => {
    const ram = new SparseRam(RAM, 0x7000000);
    const t = new LongModeTables(ram);
    t.map(0xffffffff81000000n, 0x1000000n, MiB2);
    // CS.L clear (stopped in a compat-mode process) and no KERNEL_GS_BASE: only e_machine tells.
    const desc = qemuNote({ cr0: CR0_PG | CR0_PE, cr3: BigInt(t.root), cr4: CR4_PAE });
    const guest = {
      info: { elfClass: 64, endian: 'le', machine: 62, arch: 'x86_64', pageSize: 4096 },
      blocks: RAM,
      cpuNotes: [
        { name: 'CORE', type: 1, desc: new Uint8Array(336) },
        { name: 'QEMU', type: 0, desc },
      ],
      read: ram.read,
    } satisfies Pick<GuestMemory, 'info' | 'blocks' | 'cpuNotes' | 'read'>;
    expect(await guestPagingMappings(guest)).toEqual([{ physAddr: 0x1000000, virtAddr: 0xffffffff81000000n, length: MiB2 }]);
    await expect(guestPagingMappings({ ...guest, cpuNotes: [] })).rejects.toMatchObject({ code: 'VMCORE_INVALID_ARGUMENT' });
  });
});
