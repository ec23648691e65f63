import type { KdumpSink } from './sink.js';

/**
 * QEMU's DataCache: bytes bound for consecutive file offsets, gathered into large buffers and
 * written with one positioned write each. Every flush hands the sink a buffer it never touches
 * again (a stream sink may still hold it), so a fresh one is allocated per flush.
 */
export class DataCache {
  private buffer: Uint8Array;
  private fill = 0;

  constructor(
    private readonly sink: KdumpSink,
    private offset: number,
    private readonly capacity: number,
  ) {
    this.buffer = new Uint8Array(capacity);
  }

  /** File offset the next appended byte will land at. */
  get position(): number {
    return this.offset + this.fill;
  }

  /** Room for `length` bytes at `at` in the current buffer; the caller fills it. */
  async reserve(length: number): Promise<{ buffer: Uint8Array; at: number }> {
    if (this.fill + length > this.capacity) await this.flush();
    const at = this.fill;
    this.fill += length;
    return { buffer: this.buffer, at };
  }

  async append(bytes: Uint8Array): Promise<void> {
    if (bytes.length > this.capacity) {
      await this.flush();
      await this.sink.write(this.offset, bytes);
      this.offset += bytes.length;
      return;
    }
    const { buffer, at } = await this.reserve(bytes.length);
    buffer.set(bytes, at);
  }

  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const full = this.buffer.subarray(0, this.fill);
    this.buffer = new Uint8Array(this.capacity);
    const offset = this.offset;
    this.offset += this.fill;
    this.fill = 0;
    await this.sink.write(offset, full);
  }
}
