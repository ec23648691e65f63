import { hex, isVmcoreError } from '@vmcore/bytes';
import type { ReadPhys } from './guest-note.js';

/** arch/x86/include/asm/page_64_types.h: where the kernel image is mapped. */
export const X86_64_START_KERNEL_MAP = 0xffff_ffff_8000_0000n;
/** KERNEL_IMAGE_SIZE with CONFIG_RANDOMIZE_BASE: the kernel image lies in the first 1 GiB above __START_KERNEL_map. */
export const X86_64_KERNEL_IMAGE_SIZE = 1n << 30n;
/** __START_KERNEL - __START_KERNEL_map for the default CONFIG_PHYSICAL_START (16 MiB). */
export const X86_64_DEFAULT_PHYSICAL_START = 0x100_0000n;

const KIB4 = 1n << 12n;
const MIB2 = 1n << 21n;
const GIB1 = 1n << 30n;
const PRESENT = 1n;
const PAGE_SIZE_BIT = 1n << 7n;
const ADDR_MASK = 0x000f_ffff_ffff_f000n;
const CR0_PG = 1n << 31n;
const CR4_PAE = 1n << 5n;
const CR4_LA57 = 1n << 12n;
/** PTI keeps the user copy of the PGD in the odd 4 KiB page of an 8 KiB pair (PTI_USER_PGTABLE_MASK). */
const PTI_USER_PGTABLE_BIT = 1n << 12n;

/** The control registers a QEMU note (QEMUCPUState.cr[0..4]) gives per CPU. */
export interface X86ControlRegisters {
  readonly cr0?: bigint;
  readonly cr3: bigint;
  readonly cr4?: bigint;
}

export interface X86Translation {
  readonly physAddr: number;
  /** Size of the page that maps the address: 4 KiB, 2 MiB or 1 GiB. */
  readonly pageSize: number;
}

export interface X86PageWalkOptions {
  readonly read: ReadPhys;
  /** Physical address of the top-level table (CR3 without PCID/flag bits). */
  readonly root: bigint;
  /** 5-level paging (CR4.LA57). */
  readonly la57?: boolean;
  /** Upper bound on distinct table pages read (default 4096), so hostile tables cost bounded work. */
  readonly maxTablePages?: number;
  /** Rejects table pages and mapped frames outside guest RAM. */
  readonly isRam?: (physAddr: number, length: number) => boolean;
}

/**
 * A 4- or 5-level x86_64 page-table walker over guest-physical memory. Depth is fixed by the
 * paging mode, so entries that point back at a higher table cannot loop; the table-page budget
 * bounds the total work.
 */
export class X86_64PageWalker {
  private readonly tables = new Map<bigint, DataView | null>();
  private readonly levels: number;
  private readonly maxTablePages: number;
  /** Why the last translation failed, for warnings. */
  lastProblem: string | undefined;

  constructor(private readonly options: X86PageWalkOptions) {
    this.levels = options.la57 ? 5 : 4;
    this.maxTablePages = options.maxTablePages ?? 4096;
  }

  private async table(phys: bigint): Promise<DataView | null> {
    const cached = this.tables.get(phys);
    if (cached !== undefined) return cached;
    if (this.tables.size >= this.maxTablePages) {
      this.lastProblem = `page-table walk read more than ${this.maxTablePages} table pages`;
      return null;
    }
    let view: DataView | null = null;
    if (phys + KIB4 <= BigInt(Number.MAX_SAFE_INTEGER)) {
      const addr = Number(phys);
      if (!this.options.isRam || this.options.isRam(addr, 4096)) {
        try {
          const bytes = await this.options.read(addr, 4096);
          if (bytes.length === 4096) view = new DataView(bytes.buffer, bytes.byteOffset, 4096);
        } catch (error) {
          if (!isVmcoreError(error)) throw error;
        }
      }
    }
    if (!view) this.lastProblem = `page table at ${hex(phys)} is outside guest RAM`;
    this.tables.set(phys, view);
    return view;
  }

  /** The physical address `virt` maps to, or undefined when it is not mapped. */
  async translate(virt: bigint): Promise<X86Translation | undefined> {
    const vaBits = this.levels === 5 ? 57n : 48n;
    const upper = virt >> (vaBits - 1n);
    if (virt < 0n || virt >= 1n << 64n || (upper !== 0n && upper !== (1n << (65n - vaBits)) - 1n)) {
      this.lastProblem = `${hex(virt)} is not a canonical address`;
      return undefined;
    }
    let table = this.options.root & ADDR_MASK;
    for (let level = this.levels; level >= 1; level--) {
      const shift = 12n + 9n * BigInt(level - 1);
      const index = Number((virt >> shift) & 0x1ffn);
      const view = await this.table(table);
      if (!view) return undefined;
      const entry = view.getBigUint64(index * 8, true);
      if ((entry & PRESENT) === 0n) {
        this.lastProblem = `${hex(virt)} is not mapped (level ${level} entry ${index} not present)`;
        return undefined;
      }
      const large = (level === 3 || level === 2) && (entry & PAGE_SIZE_BIT) !== 0n;
      if (level === 1 || large) {
        const pageSize = level === 3 ? GIB1 : level === 2 ? MIB2 : KIB4;
        const frame = entry & ADDR_MASK & ~(pageSize - 1n);
        const phys = frame + (virt & (pageSize - 1n));
        if (phys > BigInt(Number.MAX_SAFE_INTEGER)) {
          this.lastProblem = `${hex(virt)} maps to ${hex(phys)}, beyond any guest RAM`;
          return undefined;
        }
        if (this.options.isRam && !this.options.isRam(Number(phys), 1)) {
          this.lastProblem = `${hex(virt)} maps to ${hex(phys)}, outside guest RAM`;
          return undefined;
        }
        return { physAddr: Number(phys), pageSize: Number(pageSize) };
      }
      if (level >= 4 && (entry & PAGE_SIZE_BIT) !== 0n) {
        this.lastProblem = `${hex(virt)}: level ${level} entry ${index} has the reserved PS bit set`;
        return undefined;
      }
      table = entry & ADDR_MASK;
    }
    return undefined;
  }
}

/** x86_64 __pa_symbol(): a kernel-image virtual address to physical, given phys_base (u64 arithmetic). */
export function kernelVirtToPhys(virt: bigint, physBase: bigint): bigint {
  return BigInt.asUintN(64, virt - X86_64_START_KERNEL_MAP + physBase);
}

/** phys_base from one kernel-image mapping: phys − (virt − __START_KERNEL_map), as a u64. */
export function physBaseFromMapping(virt: bigint, phys: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(phys) - (virt - X86_64_START_KERNEL_MAP));
}

export interface PageTablePhysBaseOptions {
  readonly read: ReadPhys;
  /** One CPU's registers or every CPU's; each distinct CR3 is tried in order. */
  readonly cpuState: X86ControlRegisters | readonly X86ControlRegisters[];
  readonly isRam?: (physAddr: number, length: number) => boolean;
  /** A kernel-image address to try first (e.g. _text = 0xffffffff81000000 + KERNELOFFSET). */
  readonly kernelTextVirt?: bigint;
  readonly maxTablePages?: number;
}

export type PageTablePhysBase =
  | { readonly ok: true; readonly value: bigint; readonly virtAddr: bigint; readonly physAddr: number; readonly cr3: bigint; readonly warning?: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Translates a kernel virtual address with the first CPU whose page tables map it (PTI user
 * PGDs fall back to the kernel PGD); undefined when no CPU's tables map it.
 */
export async function translateWithCpus(
  options: Pick<PageTablePhysBaseOptions, 'read' | 'cpuState' | 'isRam'>,
  virt: bigint,
): Promise<X86Translation | undefined> {
  const cpus = Array.isArray(options.cpuState) ? options.cpuState : [options.cpuState as X86ControlRegisters];
  const tried = new Set<bigint>();
  for (const cpu of cpus) {
    if (cpu.cr0 !== undefined && (cpu.cr0 & CR0_PG) === 0n) continue;
    if (cpu.cr4 !== undefined && (cpu.cr4 & CR4_PAE) === 0n) continue;
    const la57 = cpu.cr4 !== undefined && (cpu.cr4 & CR4_LA57) !== 0n;
    for (const root of roots(cpu)) {
      if (root === 0n || tried.has(root)) continue;
      tried.add(root);
      const walker = new X86_64PageWalker({ read: options.read, root, la57, ...(options.isRam ? { isRam: options.isRam } : {}) });
      const t = await walker.translate(virt);
      if (t) return t;
    }
  }
  return undefined;
}

function roots(cpu: X86ControlRegisters): bigint[] {
  const root = cpu.cr3 & ADDR_MASK;
  // A CPU caught in user mode under PTI runs on the user PGD; the kernel one is the even page.
  return (root & PTI_USER_PGTABLE_BIT) !== 0n ? [root, root & ~PTI_USER_PGTABLE_BIT] : [root];
}

/**
 * phys_base from the guest's own page tables: translate the kernel-image mapping at
 * __START_KERNEL_map (the hint first, then every 2 MiB of the 1 GiB image area; cleanup_highmap()
 * leaves nothing mapped below _text) and apply phys_base = phys − (virt − __START_KERNEL_map).
 * The result must be 2 MiB-aligned, as the x86_64 kernel requires of its load address.
 */
export async function physBaseFromPageTables(options: PageTablePhysBaseOptions): Promise<PageTablePhysBase> {
  const cpus = Array.isArray(options.cpuState) ? options.cpuState : [options.cpuState as X86ControlRegisters];
  const problems: string[] = [];
  const tried = new Set<bigint>();
  for (const [cpuIndex, cpu] of cpus.entries()) {
    if (cpu.cr0 !== undefined && (cpu.cr0 & CR0_PG) === 0n) {
      problems.push(`CPU ${cpuIndex}: paging is off (CR0.PG clear)`);
      continue;
    }
    if (cpu.cr4 !== undefined && (cpu.cr4 & CR4_PAE) === 0n) {
      problems.push(`CPU ${cpuIndex}: not in long mode (CR4.PAE clear)`);
      continue;
    }
    const la57 = cpu.cr4 !== undefined && (cpu.cr4 & CR4_LA57) !== 0n;
    for (const root of roots(cpu)) {
      if (root === 0n || tried.has(root)) continue;
      tried.add(root);
      const walker = new X86_64PageWalker({
        read: options.read,
        root,
        la57,
        ...(options.isRam ? { isRam: options.isRam } : {}),
        ...(options.maxTablePages !== undefined ? { maxTablePages: options.maxTablePages } : {}),
      });
      const found = await scanKernelImage(walker, options.kernelTextVirt);
      if (found.length > 0) {
        const [first, second] = found as [Candidate, Candidate | undefined];
        const warning =
          second && second.value !== first.value
            ? `page tables disagree: ${hex(first.virt)} gives phys_base ${hex(first.value)} but ${hex(second.virt)} gives ${hex(second.value)}`
            : undefined;
        return { ok: true, value: first.value, virtAddr: first.virt, physAddr: first.phys, cr3: cpu.cr3, ...(warning ? { warning } : {}) };
      }
      problems.push(
        `CR3 ${hex(root)}: no usable mapping in ${hex(X86_64_START_KERNEL_MAP)}..${hex(X86_64_START_KERNEL_MAP + X86_64_KERNEL_IMAGE_SIZE)}` +
          (walker.lastProblem ? ` (last: ${walker.lastProblem})` : ''),
      );
    }
  }
  return { ok: false, reason: problems.length > 0 ? problems.join('; ') : 'no CPU state with a page-table root' };
}

interface Candidate {
  readonly virt: bigint;
  readonly phys: number;
  readonly value: bigint;
}

async function scanKernelImage(walker: X86_64PageWalker, hint: bigint | undefined): Promise<Candidate[]> {
  const found: Candidate[] = [];
  const consider = async (virt: bigint): Promise<void> => {
    const t = await walker.translate(virt);
    if (!t) return;
    const value = physBaseFromMapping(virt, t.physAddr);
    if (value % MIB2 !== 0n) {
      walker.lastProblem = `${hex(virt)} maps to ${hex(t.physAddr)}, giving a phys_base ${hex(value)} that is not 2 MiB-aligned`;
      return;
    }
    found.push({ virt, phys: t.physAddr, value });
  };
  if (hint !== undefined && hint >= X86_64_START_KERNEL_MAP && hint < X86_64_START_KERNEL_MAP + X86_64_KERNEL_IMAGE_SIZE) {
    await consider(hint & ~(KIB4 - 1n));
  }
  for (let virt = X86_64_START_KERNEL_MAP; virt < X86_64_START_KERNEL_MAP + X86_64_KERNEL_IMAGE_SIZE && found.length < 2; virt += MIB2) {
    if (hint !== undefined && found.length === 1 && virt <= found[0]!.virt) continue;
    await consider(virt);
  }
  return found;
}
