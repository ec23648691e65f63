import { findBlock, type PhysBlock } from '@vmcore/guest-mem';
import type { Translate } from './translate.js';

const PAGE = 4096;
const PAGE_MASK = 4095n;

/** Bytes QEMU wrote into guest memory during the dump (the patched CPU contexts). */
export interface PhysPatch {
  readonly physAddr: number;
  readonly bytes: Uint8Array;
}

/**
 * Guest memory as QEMU's cpu_memory_rw_debug() sees it on the first CPU: page by page through
 * the translation, failing at the first page that is unmapped or not RAM. Writes do not touch
 * the source; they are kept as patches that later reads and the memory runs see, as QEMU's
 * writes into guest RAM are.
 */
export class DebugAddressSpace {
  readonly patches: PhysPatch[] = [];

  constructor(
    private readonly readPhys: (physAddr: number, length: number) => Promise<Uint8Array>,
    private readonly blocks: readonly PhysBlock[],
    private readonly translate: Translate,
  ) {}

  /**
   * Reads into `target` page by page; returns false at the first page that cannot be read,
   * leaving the bytes of the pages read before it in `target` (QEMU copies them too).
   */
  async readInto(virt: bigint, target: Uint8Array): Promise<boolean> {
    return this.pages(virt, target.length, async (phys, done, length) => {
      target.set(await this.physRead(phys, length), done);
    });
  }

  /** Reads a little-endian pointer of 8 (x64) or 4 bytes; undefined when unreadable. */
  async readPointer(virt: bigint, x64: boolean): Promise<bigint | undefined> {
    const bytes = new Uint8Array(x64 ? 8 : 4);
    if (!(await this.readInto(virt, bytes))) return undefined;
    const view = new DataView(bytes.buffer);
    return x64 ? view.getBigUint64(0, true) : BigInt(view.getUint32(0, true));
  }

  async write(virt: bigint, bytes: Uint8Array): Promise<boolean> {
    return this.pages(virt, bytes.length, async (phys, done, length) => {
      this.patches.push({ physAddr: phys, bytes: bytes.slice(done, done + length) });
    });
  }

  /** Physical bytes with the patches applied, in the order they were made. */
  async physRead(physAddr: number, length: number): Promise<Uint8Array> {
    const bytes = await this.readPhys(physAddr, length);
    return applyPatches(this.patches, physAddr, bytes);
  }

  private async pages(virt: bigint, length: number, each: (phys: number, done: number, length: number) => Promise<void>): Promise<boolean> {
    let done = 0;
    let addr = BigInt.asUintN(64, virt);
    while (done < length) {
      const inPage = PAGE - Number(addr & PAGE_MASK);
      const n = Math.min(inPage, length - done);
      const page = await this.translate(addr & ~PAGE_MASK);
      if (page === undefined) return false;
      const phys = page + Number(addr & PAGE_MASK);
      if (!this.isRam(phys, n)) return false;
      await each(phys, done, n);
      done += n;
      addr = BigInt.asUintN(64, addr + BigInt(n));
    }
    return true;
  }

  private isRam(physAddr: number, length: number): boolean {
    const block = this.blocks[findBlock(this.blocks, physAddr)];
    return block !== undefined && physAddr + length <= block.start + block.size;
  }
}

/**
 * `bytes` (guest memory at physAddr) with every overlapping patch applied, later patches over
 * earlier ones. Copies only when a patch overlaps, so a source's buffer is never modified.
 */
export function applyPatches(patches: readonly PhysPatch[], physAddr: number, bytes: Uint8Array): Uint8Array {
  let out = bytes;
  const end = physAddr + bytes.length;
  for (const patch of patches) {
    const from = Math.max(physAddr, patch.physAddr);
    const to = Math.min(end, patch.physAddr + patch.bytes.length);
    if (from >= to) continue;
    if (out === bytes) out = bytes.slice();
    out.set(patch.bytes.subarray(from - patch.physAddr, to - patch.physAddr), from - physAddr);
  }
  return out;
}
