import type { GuestRam } from './ram.js';

const PRESENT_RW = 0x3n;
const PS = 0x80n;
const MASK = 0x000f_ffff_ffff_f000n;

/**
 * Builds x86_64 4-level page tables in guest RAM (a builder only; reading them back is the
 * project's walker's job). Tables come from `allocTable`, one 4 KiB page each.
 */
export class PageTableBuilder {
  readonly root: number;

  constructor(
    private readonly ram: GuestRam,
    private readonly allocTable: () => number,
  ) {
    this.root = allocTable();
  }

  /** Maps one 4 KiB page. */
  map4k(virt: bigint, phys: number): void {
    const pt = this.table(virt, 1);
    this.ram.u64(pt + index(virt, 1) * 8, (BigInt(phys) & MASK) | PRESENT_RW);
  }

  /** Maps one 2 MiB page. */
  map2m(virt: bigint, phys: number): void {
    const pd = this.table(virt, 2);
    this.ram.u64(pd + index(virt, 2) * 8, (BigInt(phys) & MASK) | PRESENT_RW | PS);
  }

  /** The table at `level` (1 = page table) that maps `virt`, created on the way down. */
  private table(virt: bigint, level: number): number {
    let table = this.root;
    for (let l = 4; l > level; l--) {
      const at = table + index(virt, l) * 8;
      let entry = this.ram.getU64(at);
      if ((entry & 1n) === 0n) {
        entry = BigInt(this.allocTable()) | PRESENT_RW;
        this.ram.u64(at, entry);
      }
      table = Number(entry & MASK);
    }
    return table;
  }
}

function index(virt: bigint, level: number): number {
  return Number((virt >> BigInt(12 + 9 * (level - 1))) & 0x1ffn);
}
