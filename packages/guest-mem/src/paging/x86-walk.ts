import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { GuestMemory, MemoryMapping, PhysBlock } from '../model.js';
import { MappingList } from './mapping-list.js';
import { PhysReader } from './phys-reader.js';
import type { ReadPhys } from './phys-reader.js';
import { CR0_PG, CR4_PSE, x86PagingCpusFromNotes, x86PagingMode } from './x86-cpu.js';
import type { X86PagingCpu } from './x86-cpu.js';

export interface PagingOptions {
  /**
   * Long mode for CPUs whose EFER is not given (QEMU's notes never carry it): true when the
   * dump is EM_X86_64 (QEMU's cpu_get_dump_info() takes that from the first CPU's
   * EFER.LMA), false for EM_386; undefined infers it per CPU (see x86LongMode).
   */
  readonly assumeLongMode?: boolean;
  /** Stop with VMCORE_TOO_LARGE beyond this many mappings (default 4 Mi). */
  readonly maxMappings?: number;
  /** Stop with VMCORE_TOO_LARGE after this many present entries (tables and pages, default 128 Mi). */
  readonly maxEntries?: number;
}

const TWO32 = 2 ** 32;
/** Entries' physical addresses at or above 2^53 (hi word ≥ 2^21) cannot be RAM. */
const SAFE_HI = 1 << 21;

/**
 * QEMU's `paging=true` mappings for x86 (qemu_get_guest_memory_mapping() in
 * system/memory_mapping.c and x86_cpu_get_memory_mapping() in
 * target/i386/arch_memory_mapping.c): starting at the first CPU with CR0.PG set, every
 * following CPU's page tables are walked (those without paging add nothing) and each
 * present page whose first byte is RAM is added with memory_mapping_list_add_merge_sorted().
 * Without any paging CPU every block maps to virt = phys. The list comes back in QEMU's
 * order (phys ascending), ready to become PT_LOADs.
 *
 * Differences from QEMU, only where the model lacks the information: the A20 gate is taken
 * as enabled, "RAM" means inside `blocks` (QEMU also counts ROM-device and ram_device
 * regions), and table bytes outside `blocks` read as zero (QEMU would read the device).
 */
export async function pagingMappings(
  read: ReadPhys,
  cpus: readonly X86PagingCpu[],
  blocks: readonly PhysBlock[],
  options: PagingOptions = {},
): Promise<MemoryMapping[]> {
  const first = cpus.findIndex((cpu) => (cpu.cr0 & CR0_PG) !== 0n);
  if (first < 0) {
    return [...blocks]
      .sort((a, b) => a.start - b.start)
      .map((b) => ({ physAddr: b.start, virtAddr: BigInt(b.start), length: b.size }));
  }
  const maxMappings = options.maxMappings ?? 1 << 22;
  const maxEntries = options.maxEntries ?? 1 << 27;
  const walker = new X86Walker(new PhysReader(read, blocks), new MappingList(maxMappings, maxEntries), maxEntries);
  for (const cpu of cpus.slice(first)) await walker.walkCpu(cpu, options.assumeLongMode);
  return walker.list.toArray();
}

/**
 * pagingMappings() for a guest: CPU state from its "QEMU" notes, long mode assumed from
 * info.arch ('x86_64' means QEMU saw EFER.LMA on the first CPU, 'i386' that it did not).
 */
export async function guestPagingMappings(
  guest: Pick<GuestMemory, 'info' | 'blocks' | 'cpuNotes' | 'read'>,
  options: PagingOptions = {},
): Promise<MemoryMapping[]> {
  if (guest.info.arch !== 'x86_64' && guest.info.arch !== 'i386') {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `paging: memory mappings for ${guest.info.arch} guests are not implemented (x86 only)`);
  }
  const cpus = x86PagingCpusFromNotes(guest.cpuNotes, guest.info.endian);
  if (cpus.length === 0) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'paging: the guest has no "QEMU" CPU notes, so its page tables cannot be found');
  }
  const assumeLongMode = options.assumeLongMode ?? guest.info.arch === 'x86_64';
  return pagingMappings((addr, length) => guest.read(addr, length), cpus, guest.blocks, { ...options, assumeLongMode });
}

class X86Walker {
  private entries = 0;

  constructor(
    private readonly mem: PhysReader,
    readonly list: MappingList,
    private readonly maxEntries: number,
  ) {}

  async walkCpu(cpu: X86PagingCpu, assumeLongMode: boolean | undefined): Promise<void> {
    switch (x86PagingMode(cpu, assumeLongMode)) {
      case 'none':
        return;
      case '5-level':
        return this.walkPml5(safeAddr(cpu.cr3 & 0xffffffffff000n));
      case '4-level':
        return this.walkPml4(safeAddr(cpu.cr3 & 0xffffffffff000n), 0xffffn << 48n);
      case 'pae':
        return this.walkPdpt32(safeAddr(cpu.cr3 & ~0x1fn));
      case '32-bit':
        return this.walkPd32(safeAddr(cpu.cr3 & ~0xfffn), (cpu.cr4 & CR4_PSE) !== 0n);
    }
  }

  /** walk_pml5e: the line address restarts at 0x7f << 57 for every entry. */
  private async walkPml5(table: number | undefined): Promise<void> {
    if (table === undefined) return;
    const view = await this.mem.page(table);
    for (let i = 0; i < 512; i++) {
      const lo = view.getUint32(i * 8, true);
      if ((lo & 1) === 0) continue;
      this.count();
      const hi = view.getUint32(i * 8 + 4, true);
      await this.walkPml4(tableAddr(lo, hi), (0x7fn << 57n) | (BigInt(i) << 48n));
    }
  }

  /** walk_pml4e: 4-level paging starts at 0xffff << 48, so the lower half gets 0xffff too. */
  private async walkPml4(table: number | undefined, line: bigint): Promise<void> {
    if (table === undefined) return;
    const view = await this.mem.page(table);
    for (let i = 0; i < 512; i++) {
      const lo = view.getUint32(i * 8, true);
      if ((lo & 1) === 0) continue;
      this.count();
      const hi = view.getUint32(i * 8 + 4, true);
      await this.walkPdpt(tableAddr(lo, hi), line | (BigInt(i) << 39n));
    }
  }

  /** walk_pdpe: 1 GiB pages when PS is set. */
  private async walkPdpt(table: number, line: bigint): Promise<void> {
    const view = await this.mem.page(table);
    for (let i = 0; i < 512; i++) {
      const lo = view.getUint32(i * 8, true);
      if ((lo & 1) === 0) continue;
      this.count();
      const hi = view.getUint32(i * 8 + 4, true);
      const virt = line | (BigInt(i) << 30n);
      if (lo & 0x80) this.leaf(hi, lo & 0xc0000000, virt, 1 << 30);
      else await this.walkPd(tableAddr(lo, hi), virt);
    }
  }

  /** walk_pde: 2 MiB pages when PS is set (PAE and IA-32e). */
  private async walkPd(table: number, line: bigint): Promise<void> {
    const view = await this.mem.page(table);
    for (let i = 0; i < 512; i++) {
      const lo = view.getUint32(i * 8, true);
      if ((lo & 1) === 0) continue;
      this.count();
      const hi = view.getUint32(i * 8 + 4, true);
      const virt = line | BigInt(i << 21);
      if (lo & 0x80) this.leaf(hi, lo & 0xffe00000, virt, 1 << 21);
      else await this.walkPt(tableAddr(lo, hi), virt);
    }
  }

  /** walk_pte: 4 KiB pages (PAE and IA-32e). */
  private async walkPt(table: number, line: bigint): Promise<void> {
    const view = await this.mem.page(table);
    for (let i = 0; i < 512; i++) {
      const lo = view.getUint32(i * 8, true);
      if ((lo & 1) === 0) continue;
      this.count();
      this.leaf(view.getUint32(i * 8 + 4, true), lo & 0xfffff000, line | BigInt(i << 12), 1 << 12);
    }
  }

  /** walk_pdpe2: PAE's four PDPTEs at CR3 & ~0x1f; the directory address keeps bits 63:12. */
  private async walkPdpt32(table: number | undefined): Promise<void> {
    if (table === undefined) return;
    const page = table - (table % 4096);
    const view = await this.mem.page(page);
    for (let i = 0; i < 4; i++) {
      const at = table - page + i * 8;
      const lo = view.getUint32(at, true);
      if ((lo & 1) === 0) continue;
      this.count();
      const hi = view.getUint32(at + 4, true);
      if (hi >= SAFE_HI) continue;
      await this.walkPd(hi * TWO32 + ((lo & 0xfffff000) >>> 0), BigInt(i) << 30n);
    }
  }

  /** walk_pde2: 32-bit paging, 4 MiB pages (PSE-36 high bits) when PS and CR4.PSE. */
  private async walkPd32(table: number | undefined, pse: boolean): Promise<void> {
    if (table === undefined) return;
    const view = await this.mem.page(table);
    for (let i = 0; i < 1024; i++) {
      const pde = view.getUint32(i * 4, true);
      if ((pde & 1) === 0) continue;
      this.count();
      const virt = BigInt(i) << 22n;
      if (pde & 0x80 && pse) {
        const phys = ((pde & 0xffc00000) >>> 0) + (pde & 0x1fe000) * 2 ** 19;
        this.add(phys, virt, 1 << 22);
      } else {
        await this.walkPt32((pde & 0xfffff000) >>> 0, virt);
      }
    }
  }

  /** walk_pte2: 32-bit paging, 4 KiB pages. */
  private async walkPt32(table: number, line: bigint): Promise<void> {
    const view = await this.mem.page(table);
    for (let i = 0; i < 1024; i++) {
      const pte = view.getUint32(i * 4, true);
      if ((pte & 1) === 0) continue;
      this.count();
      this.add((pte & 0xfffff000) >>> 0, line | BigInt(i << 12), 1 << 12);
    }
  }

  /** A 64-bit leaf entry: the address drops bit 63 (NX) but keeps bits 62:52, as QEMU does. */
  private leaf(hi: number, loMasked: number, virt: bigint, size: number): void {
    const high = hi & 0x7fffffff;
    if (high >= SAFE_HI) return;
    this.add(high * TWO32 + (loMasked >>> 0), virt, size);
  }

  private add(phys: number, virt: bigint, size: number): void {
    if (!this.mem.isRam(phys)) return;
    this.list.add(phys, virt, size);
  }

  private count(): void {
    if (++this.entries > this.maxEntries) {
      throw new VmcoreError(
        VmcoreErrorCode.TooLarge,
        `paging memory mappings: more than ${this.maxEntries} present page-table entries; the guest page tables are absurd`,
      );
    }
  }
}

/** PLM4_ADDR_MASK (bits 51:12) of a 64-bit entry: always below 2^52. */
function tableAddr(lo: number, hi: number): number {
  return (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
}

function safeAddr(addr: bigint): number | undefined {
  return addr <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(addr) : undefined;
}
