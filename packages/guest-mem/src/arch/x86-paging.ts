import { VmcoreError, VmcoreErrorCode, hex } from '@vmcore/bytes';
import type { Translate } from '@vmcore/vmcoreinfo';
import type { MemoryMapping, PhysBlock } from '../model.js';
import { MappingList } from '../paging/mapping-list.js';
import { PhysReader, type ReadPhys } from '../paging/phys-reader.js';
import type { PagingGuest, PagingOptions, TranslateOptions } from './types.js';
import { CR0_PG, CR4_PSE, x86PagingCpusFromNotes, x86PagingMode, type X86PagingCpu, type X86PagingMode } from './x86-cpu.js';

/**
 * The one x86 page-table walker. Both uses go through the same table descriptions and entry
 * decoding below: enumerating every mapping (QEMU's paging=true, x86_cpu_get_memory_mapping()
 * in target/i386/arch_memory_mapping.c) and translating one address (phys_base from the kernel
 * image mapping). The paging mode comes from x86PagingMode() (one idea of long mode).
 */

const TWO32 = 2 ** 32;
/** Entries' physical addresses at or above 2^53 (hi word ≥ 2^21) cannot be RAM. */
const SAFE_HI = 1 << 21;
const PAGE = 4096;

/** One level of tables, root first. */
interface Level {
  readonly entries: number;
  /** 8-byte entries (PAE and IA-32e) or 4-byte ones (32-bit paging). */
  readonly wide: boolean;
  /** The virtual-address bit this level's index starts at. */
  readonly shift: number;
  /** Size of the page an entry with PS maps here; undefined where PS does not make a page. */
  readonly largePage?: number;
  /** PAE PDPTEs: the directory address keeps bits 63:12 (walk_pdpe2), not 51:12. */
  readonly fullTableAddr?: boolean;
}

const PML5: Level = { entries: 512, wide: true, shift: 48 };
const PML4: Level = { entries: 512, wide: true, shift: 39 };
const PDPT: Level = { entries: 512, wide: true, shift: 30, largePage: 1 << 30 };
const PD: Level = { entries: 512, wide: true, shift: 21, largePage: 1 << 21 };
const PT: Level = { entries: 512, wide: true, shift: 12 };
const PDPT_PAE: Level = { entries: 4, wide: true, shift: 30, fullTableAddr: true };
const PD32: Level = { entries: 1024, wide: false, shift: 22 };
const PD32_PSE: Level = { ...PD32, largePage: 1 << 22 };
const PT32: Level = { entries: 1024, wide: false, shift: 12 };

/** The walk x86_cpu_get_memory_mapping() does for a CPU: root table, levels, first line address. */
interface Walk {
  readonly root: number | undefined;
  readonly levels: readonly Level[];
  /** walk_pml5e restarts at 0x7f << 57, 4-level paging at 0xffff << 48 (the lower half gets it too). */
  readonly line: bigint;
  /** Virtual addresses the mode can map: below 2^32 outside long mode. */
  readonly vaBits: number;
  readonly mode: Exclude<X86PagingMode, 'none'>;
}

function walkFor(cpu: X86PagingCpu, mode: Exclude<X86PagingMode, 'none'>): Walk {
  switch (mode) {
    case '5-level':
      return { mode, root: safeAddr(cpu.cr3 & 0xffffffffff000n), levels: [PML5, PML4, PDPT, PD, PT], line: 0x7fn << 57n, vaBits: 57 };
    case '4-level':
      return { mode, root: safeAddr(cpu.cr3 & 0xffffffffff000n), levels: [PML4, PDPT, PD, PT], line: 0xffffn << 48n, vaBits: 48 };
    case 'pae':
      return { mode, root: safeAddr(cpu.cr3 & ~0x1fn), levels: [PDPT_PAE, PD, PT], line: 0n, vaBits: 32 };
    case '32-bit':
      return {
        mode,
        root: safeAddr(cpu.cr3 & ~0xfffn),
        levels: [(cpu.cr4 & CR4_PSE) !== 0n ? PD32_PSE : PD32, PT32],
        line: 0n,
        vaBits: 32,
      };
  }
}

/** An entry's two 32-bit words (hi is 0 for 4-byte entries). */
function entryAt(view: DataView, level: Level, at: number): [lo: number, hi: number] {
  return level.wide ? [view.getUint32(at, true), view.getUint32(at + 4, true)] : [view.getUint32(at, true), 0];
}

/** The next table's address, or undefined when it cannot be RAM. */
function nextTable(level: Level, lo: number, hi: number): number | undefined {
  if (!level.wide) return (lo & 0xfffff000) >>> 0;
  if (level.fullTableAddr) return hi >= SAFE_HI ? undefined : hi * TWO32 + ((lo & 0xfffff000) >>> 0);
  return (hi & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0); // PLM4_ADDR_MASK, bits 51:12
}

/**
 * The frame a leaf entry maps. QEMU's walk drops bit 63 (NX) but keeps bits 62:52 (`qemu`);
 * the hardware ignores 62:52 (protection keys), so a translation masks them (`hardware`).
 * 32-bit 4 MiB pages carry physical bits 39:32 in bits 20:13 (PSE-36).
 */
function leafFrame(level: Level, lo: number, hi: number, size: number, rule: 'qemu' | 'hardware'): number | undefined {
  if (!level.wide) {
    return size === 1 << 22 ? ((lo & 0xffc00000) >>> 0) + (lo & 0x1fe000) * 2 ** 19 : (lo & 0xfffff000) >>> 0;
  }
  const high = rule === 'qemu' ? hi & 0x7fffffff : hi & 0xfffff;
  if (high >= SAFE_HI) return undefined;
  return high * TWO32 + ((lo & ~(size - 1)) >>> 0);
}

/** The leaf size of a present entry at this level, or undefined when it points at a table. */
function leafSize(level: Level, last: boolean, lo: number): number | undefined {
  if (last) return PAGE;
  return level.largePage !== undefined && (lo & 0x80) !== 0 ? level.largePage : undefined;
}

function pageOf(addr: number): number {
  return addr - (addr % PAGE);
}

/**
 * QEMU's `paging=true` mappings for x86 (qemu_get_guest_memory_mapping() in
 * system/memory_mapping.c and x86_cpu_get_memory_mapping()): starting at the first CPU with
 * CR0.PG set, every following CPU's page tables are walked (those without paging add nothing)
 * and each present page whose first byte is RAM is added with
 * memory_mapping_list_add_merge_sorted(). Without any paging CPU every block maps to
 * virt = phys. The list comes back in QEMU's order (phys ascending), ready to become PT_LOADs.
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
    return [...blocks].sort((a, b) => a.start - b.start).map((b) => ({ physAddr: b.start, virtAddr: BigInt(b.start), length: b.size }));
  }
  const maxMappings = options.maxMappings ?? 1 << 22;
  const maxEntries = options.maxEntries ?? 1 << 27;
  const enumerator = new Enumerator(new PhysReader(read, blocks), new MappingList(maxMappings, maxEntries), maxEntries);
  for (const cpu of cpus.slice(first)) {
    const mode = x86PagingMode(cpu, options.assumeLongMode);
    if (mode === 'none') continue;
    const walk = walkFor(cpu, mode);
    if (walk.root !== undefined) await enumerator.table(walk.levels, 0, walk.root, walk.line);
  }
  return enumerator.list.toArray();
}

/**
 * pagingMappings() for a guest: CPU state from its "QEMU" notes, long mode assumed from
 * info.arch ('x86_64' means QEMU saw EFER.LMA on the first CPU, 'i386' that it did not).
 */
export async function x86GuestPagingMappings(guest: PagingGuest, options: PagingOptions = {}): Promise<MemoryMapping[]> {
  const cpus = x86PagingCpusFromNotes(guest.cpuNotes, guest.info.endian);
  if (cpus.length === 0) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'paging: the guest has no "QEMU" CPU notes, so its page tables cannot be found');
  }
  const assumeLongMode = options.assumeLongMode ?? guest.info.arch === 'x86_64';
  return pagingMappings((addr, length) => guest.read(addr, length), cpus, guest.blocks, { ...options, assumeLongMode });
}

class Enumerator {
  private entries = 0;

  constructor(
    private readonly mem: PhysReader,
    readonly list: MappingList,
    private readonly maxEntries: number,
  ) {}

  /** Every present entry of the table at `addr` (level `depth` of `levels`), recursively. */
  async table(levels: readonly Level[], depth: number, addr: number, line: bigint): Promise<void> {
    const level = levels[depth]!;
    const last = depth === levels.length - 1;
    const page = pageOf(addr);
    const view = await this.mem.page(page);
    const size = level.wide ? 8 : 4;
    for (let i = 0; i < level.entries; i++) {
      const [lo, hi] = entryAt(view, level, addr - page + i * size);
      if ((lo & 1) === 0) continue;
      this.count();
      const virt = line | (BigInt(i) << BigInt(level.shift));
      const leaf = leafSize(level, last, lo);
      if (leaf !== undefined) {
        const phys = leafFrame(level, lo, hi, leaf, 'qemu');
        if (phys !== undefined && this.mem.isRam(phys)) this.list.add(phys, virt, leaf);
        continue;
      }
      const next = nextTable(level, lo, hi);
      if (next !== undefined) await this.table(levels, depth + 1, next, virt);
    }
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

export interface X86Translation {
  readonly physAddr: number;
  /** Size of the page that maps the address: 4 KiB, 2 or 4 MiB, or 1 GiB. */
  readonly pageSize: number;
}

export interface X86TranslatorOptions extends TranslateOptions {
  /** Long mode when the CPU state cannot tell (see x86LongMode). */
  readonly assumeLongMode?: boolean;
  /** A table root other than the one CR3 gives (PTI's kernel PGD). */
  readonly root?: number;
}

/**
 * Translates virtual addresses through one CPU's tables (the same walk as pagingMappings(), one
 * path down). Depth is fixed by the mode, so entries pointing back at a higher table cannot
 * loop; `maxTablePages` bounds the distinct table pages read. `lastProblem` says why the last
 * translation failed.
 */
export class X86Translator {
  private readonly walk: Walk | undefined;
  private readonly seen = new Set<number>();
  private readonly maxTablePages: number;
  private readonly mem: PhysReader;
  lastProblem: string | undefined;

  constructor(read: ReadPhys | PhysReader, blocks: readonly PhysBlock[], cpu: X86PagingCpu, options: X86TranslatorOptions = {}) {
    this.mem = read instanceof PhysReader ? read : new PhysReader(read, blocks);
    const mode = x86PagingMode(cpu, options.assumeLongMode);
    const walk = mode === 'none' ? undefined : walkFor(cpu, mode);
    this.walk = walk && options.root !== undefined ? { ...walk, root: options.root } : walk;
    this.maxTablePages = options.maxTablePages ?? 4096;
  }

  async translate(virt: bigint): Promise<X86Translation | undefined> {
    if (!this.walk) {
      this.lastProblem = 'paging is off (CR0.PG clear)';
      return undefined;
    }
    const { levels, vaBits } = this.walk;
    const upper = virt >> BigInt(vaBits - 1);
    const canonical = vaBits === 32 ? virt >= 0n && virt < 1n << 32n : upper === 0n || upper === (1n << BigInt(65 - vaBits)) - 1n;
    if (virt < 0n || virt >= 1n << 64n || !canonical) {
      this.lastProblem = `${hex(virt)} is not a canonical address`;
      return undefined;
    }
    let table = this.walk.root;
    for (let depth = 0; depth < levels.length; depth++) {
      const level = levels[depth]!;
      const levelNo = levels.length - depth;
      if (table === undefined || !this.mem.isRam(table)) {
        this.lastProblem = `page table at ${table === undefined ? 'an address beyond 2^53' : hex(table)} is outside guest RAM`;
        return undefined;
      }
      const page = pageOf(table);
      if (!this.seen.has(page)) {
        if (this.seen.size >= this.maxTablePages) {
          this.lastProblem = `page-table walk read more than ${this.maxTablePages} table pages`;
          return undefined;
        }
        this.seen.add(page);
      }
      const view = await this.mem.page(page);
      const index = Number((virt >> BigInt(level.shift)) & BigInt(level.entries - 1));
      const [lo, hi] = entryAt(view, level, table - page + index * (level.wide ? 8 : 4));
      if ((lo & 1) === 0) {
        this.lastProblem = `${hex(virt)} is not mapped (level ${levelNo} entry ${index} not present)`;
        return undefined;
      }
      const leaf = leafSize(level, depth === levels.length - 1, lo);
      if (leaf !== undefined) {
        const frame = leafFrame(level, lo, hi, leaf, 'hardware');
        const phys = frame === undefined ? undefined : frame + Number(virt & BigInt(leaf - 1));
        if (phys === undefined || !this.mem.isRam(phys)) {
          this.lastProblem = `${hex(virt)} maps to ${frame === undefined ? 'beyond 2^53' : hex(phys!)}, outside guest RAM`;
          return undefined;
        }
        return { physAddr: phys, pageSize: leaf };
      }
      if (level.wide && !level.fullTableAddr && level.largePage === undefined && (lo & 0x80) !== 0) {
        this.lastProblem = `${hex(virt)}: level ${levelNo} entry ${index} has the reserved PS bit set`;
        return undefined;
      }
      table = nextTable(level, lo, hi);
    }
    return undefined;
  }
}

/** PTI keeps the user copy of the PGD in the odd 4 KiB page of an 8 KiB pair (PTI_USER_PGTABLE_MASK). */
const PTI_USER_PGTABLE = 0x1000;

/**
 * A Translate over every CPU's tables: the first CPU (in note order) whose tables map the address
 * wins. A CPU caught in user mode under PTI runs on the user PGD, so the kernel PGD (the even
 * page) is tried after it. CPUs without paging are skipped.
 */
export function x86Translate(
  read: ReadPhys,
  blocks: readonly PhysBlock[],
  cpus: readonly X86PagingCpu[],
  options: TranslateOptions & { assumeLongMode?: boolean } = {},
): Translate {
  const mem = new PhysReader(read, blocks);
  const translators: X86Translator[] = [];
  const roots = new Set<string>();
  for (const cpu of cpus) {
    const mode = x86PagingMode(cpu, options.assumeLongMode);
    if (mode === 'none') continue;
    const root = walkFor(cpu, mode).root;
    if (root === undefined || root === 0) continue;
    const long = mode === '4-level' || mode === '5-level';
    for (const r of long && (root & PTI_USER_PGTABLE) !== 0 ? [root, root - PTI_USER_PGTABLE] : [root]) {
      if (roots.has(`${mode}:${r}`)) continue;
      roots.add(`${mode}:${r}`);
      translators.push(new X86Translator(mem, blocks, cpu, { ...options, root: r }));
    }
  }
  return async (virt) => {
    for (const translator of translators) {
      const found = await translator.translate(virt);
      if (found) return found.physAddr;
    }
    return undefined;
  };
}

/** x86Translate() for a guest: CPU state from its QEMU notes (those that do not decode are skipped). */
export function guestX86Translate(guest: PagingGuest, options: TranslateOptions = {}): Translate | undefined {
  const cpus = x86PagingCpusFromNotes(guest.cpuNotes, guest.info.endian, { skipBad: true });
  if (cpus.length === 0) return undefined;
  return x86Translate((addr, length) => guest.read(addr, length), guest.blocks, cpus, {
    ...options,
    assumeLongMode: guest.info.arch === 'x86_64',
  });
}

function safeAddr(addr: bigint): number | undefined {
  return addr <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(addr) : undefined;
}
