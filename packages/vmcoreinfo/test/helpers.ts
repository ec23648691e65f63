import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/** Sparse guest-physical memory for tests: RAM blocks backed by one buffer each. */
export class FakeRam {
  readonly blocks: { start: number; size: number; bytes: Uint8Array }[] = [];
  reads = 0;

  constructor(ranges: readonly { start: number; size: number }[]) {
    for (const r of ranges) this.blocks.push({ ...r, bytes: new Uint8Array(r.size) });
  }

  private block(addr: number, length: number) {
    const block = this.blocks.find((b) => addr >= b.start && addr + length <= b.start + b.size);
    if (!block) throw new VmcoreError(VmcoreErrorCode.OutOfRange, `fake RAM: ${addr}+${length} is outside every block`);
    return block;
  }

  write(addr: number, bytes: Uint8Array): void {
    const block = this.block(addr, bytes.length);
    block.bytes.set(bytes, addr - block.start);
  }

  writeU64(addr: number, value: bigint): void {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setBigUint64(0, value, true);
    this.write(addr, bytes);
  }

  read = async (addr: number, length: number): Promise<Uint8Array> => {
    this.reads++;
    const block = this.block(addr, length);
    return block.bytes.slice(addr - block.start, addr - block.start + length);
  };

  /** The blocks as chunks of `size` bytes, like GuestMemory.chunks(). */
  async *chunks(size: number): AsyncGenerator<{ physAddr: number; bytes: Uint8Array }> {
    for (const block of this.blocks) {
      for (let off = 0; off < block.size; off += size) {
        yield { physAddr: block.start + off, bytes: block.bytes.subarray(off, Math.min(block.size, off + size)) };
      }
    }
  }

  get ranges(): { start: number; size: number }[] {
    return this.blocks.map(({ start, size }) => ({ start, size }));
  }
}

export async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

export async function caught(promiseOrFn: (() => unknown) | Promise<unknown>): Promise<unknown> {
  try {
    if (typeof promiseOrFn === 'function') await promiseOrFn();
    else await promiseOrFn;
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
