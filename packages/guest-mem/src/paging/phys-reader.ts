import { VmcoreError, VmcoreErrorCode, hex, partitionPoint } from '@vmcore/bytes';
import type { PhysBlock } from '../model.js';

export type ReadPhys = (physAddr: number, length: number) => Promise<Uint8Array>;

const PAGE = 4096;

/**
 * Guest-physical memory as the page-table walk sees it: RAM blocks (QEMU's
 * address_space_is_io() test) and 4 KiB table pages read once and cached.
 */
export class PhysReader {
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly cache = new Map<number, DataView>();

  constructor(
    private readonly read: ReadPhys,
    blocks: readonly PhysBlock[],
    private readonly maxCachedPages = 16384,
  ) {
    const sorted = [...blocks].sort((a, b) => a.start - b.start);
    this.starts = new Float64Array(sorted.map((b) => b.start));
    this.ends = new Float64Array(sorted.map((b) => b.start + b.size));
    for (const [i, b] of sorted.entries()) {
      if (
        !Number.isSafeInteger(b.start) ||
        !Number.isSafeInteger(b.size) ||
        b.start < 0 ||
        b.size < 0 ||
        b.start + b.size > Number.MAX_SAFE_INTEGER
      ) {
        throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `paging: block ${i} [${b.start}, +${b.size}) is not a safe physical range`);
      }
      if (i > 0 && b.start < this.ends[i - 1]!) {
        throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `paging: block at ${hex(b.start)} overlaps the block before it`);
      }
    }
  }

  /** Whether the byte at addr is guest RAM; QEMU only tests a page's first byte. */
  isRam(addr: number): boolean {
    const i = this.blockIndex(addr);
    return i < this.starts.length && this.starts[i]! <= addr;
  }

  /**
   * The 4 KiB page at a page-aligned address. Bytes outside RAM read as zero: QEMU's
   * address_space_ldq() of unassigned memory returns 0 (device memory it would really read).
   */
  async page(addr: number): Promise<DataView> {
    const cached = this.cache.get(addr);
    if (cached !== undefined) return cached;
    let bytes: Uint8Array;
    const i = this.blockIndex(addr);
    if (i < this.starts.length && this.starts[i]! <= addr && addr + PAGE <= this.ends[i]!) {
      bytes = await this.readExact(addr, PAGE);
    } else {
      bytes = new Uint8Array(PAGE);
      for (let i = 0; i < this.starts.length; i++) {
        const from = Math.max(addr, this.starts[i]!);
        const to = Math.min(addr + PAGE, this.ends[i]!);
        if (from < to) bytes.set(await this.readExact(from, to - from), from - addr);
      }
    }
    if (this.cache.size >= this.maxCachedPages) this.cache.clear();
    const view = new DataView(bytes.buffer, bytes.byteOffset, PAGE);
    this.cache.set(addr, view);
    return view;
  }

  /** The first block that ends after addr. */
  private blockIndex(addr: number): number {
    return partitionPoint(this.starts.length, (i) => this.ends[i]! <= addr);
  }

  private async readExact(addr: number, length: number): Promise<Uint8Array> {
    const bytes = await this.read(addr, length);
    if (bytes.length !== length) {
      throw new VmcoreError(
        VmcoreErrorCode.Truncated,
        `paging: reading page table at ${hex(addr)} returned ${bytes.length} bytes, expected ${length}`,
      );
    }
    return bytes;
  }
}
