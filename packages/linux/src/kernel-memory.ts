import { VmcoreError, VmcoreErrorCode, hex, type Endian } from '@vmcore/bytes';
import type { KernelTranslate, KernelTranslation } from './translate.js';
import { unmapped } from './translate.js';

export interface KernelMemoryOptions {
  /** Guest-physical reads (GuestMemory.read: one block per read). */
  readonly read: (physAddr: number, length: number) => Promise<Uint8Array>;
  readonly translate: KernelTranslate;
  readonly endian: Endian;
  /** Upper bound on one readVirt (default 256 MiB), so a corrupt length cannot exhaust memory. */
  readonly maxRead?: number;
}

/**
 * The guest kernel's virtual address space over guest-physical memory: reads split at page
 * mappings, the last mapping remembered (mem_map and ring-buffer reads walk addresses in order).
 */
export class KernelMemory {
  readonly endian: Endian;
  private readonly maxRead: number;
  private lastPage: { start: bigint; end: bigint; phys: number } | undefined;

  constructor(private readonly options: KernelMemoryOptions) {
    this.endian = options.endian;
    this.maxRead = options.maxRead ?? 256 << 20;
  }

  /** The physical address of `virt`, or undefined when unmapped. */
  async toPhys(virt: bigint): Promise<number | undefined> {
    const page = await this.mapping(virt);
    return page ? page.phys + Number(virt - page.start) : undefined;
  }

  private async mapping(virt: bigint): Promise<{ start: bigint; end: bigint; phys: number } | undefined> {
    const last = this.lastPage;
    if (last && virt >= last.start && virt < last.end) return last;
    const t: KernelTranslation | undefined = await this.options.translate(virt);
    if (!t) return undefined;
    const size = BigInt(t.pageSize);
    const start = virt - (virt % size);
    const page = { start, end: start + size, phys: t.physAddr - Number(virt - start) };
    this.lastPage = page;
    return page;
  }

  /** `length` bytes at kernel virtual address `virt`; `what` names the data for errors. */
  async read(virt: bigint, length: number, what: string): Promise<Uint8Array> {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.maxRead) {
      throw new VmcoreError(
        VmcoreErrorCode.TooLarge,
        `${what}: ${length} bytes at ${hex(virt)} is more than the ${this.maxRead} bytes a kernel read may take`,
      );
    }
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = virt + BigInt(done);
      const page = await this.mapping(at);
      if (!page) throw unmapped(at, what);
      const n = Math.min(length - done, Number(page.end - at));
      const phys = page.phys + Number(at - page.start);
      let bytes: Uint8Array;
      try {
        bytes = await this.options.read(phys, n);
      } catch (error) {
        throw new VmcoreError(
          VmcoreErrorCode.OutOfRange,
          `${what}: kernel address ${hex(at)} maps to physical ${hex(phys)}, which the dump does not hold (${(error as Error).message})`,
          { cause: error },
        );
      }
      out.set(bytes.subarray(0, n), done);
      done += n;
    }
    return out;
  }

  async readU64(virt: bigint, what: string): Promise<bigint> {
    return u64(await this.read(virt, 8, what), 0, this.endian);
  }

  async readU32(virt: bigint, what: string): Promise<number> {
    return u32(await this.read(virt, 4, what), 0, this.endian);
  }
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function u64(bytes: Uint8Array, at: number, endian: Endian): bigint {
  return view(bytes).getBigUint64(at, endian === 'le');
}

export function u32(bytes: Uint8Array, at: number, endian: Endian): number {
  return view(bytes).getUint32(at, endian === 'le');
}

export function i32(bytes: Uint8Array, at: number, endian: Endian): number {
  return view(bytes).getInt32(at, endian === 'le');
}

export function u16(bytes: Uint8Array, at: number, endian: Endian): number {
  return view(bytes).getUint16(at, endian === 'le');
}
