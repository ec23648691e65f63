import type { KdumpSink } from './sink.js';

/**
 * QEMU's DataCache: bytes bound for consecutive file offsets, gathered into large buffers and
 * written with one positioned write each. Unless the sink says it is done with a write's bytes
 * when the write resolves (a file), every flush hands the sink a buffer it never touches again
 * (a stream sink may still hold it), so a fresh one is allocated per flush.
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
    return this.reserveNow(length)!;
  }

  /**
   * reserve() without waiting, or undefined when the buffer must be flushed first: the writer
   * calls this once per page, and an await per page costs more than the page's bookkeeping.
   */
  reserveNow(length: number): { buffer: Uint8Array; at: number } | undefined {
    if (this.fill + length > this.capacity) return undefined;
    const at = this.fill;
    this.fill += length;
    return { buffer: this.buffer, at };
  }

  /** append() without waiting when `bytes` fit in the current buffer; false (nothing done) otherwise. */
  appendNow(bytes: Uint8Array): boolean {
    if (this.fill + bytes.length > this.capacity) return false;
    this.buffer.set(bytes, this.fill);
    this.fill += bytes.length;
    return true;
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

  /** Copies `bytes` in (however long: across as many buffers as it takes); the caller may reuse them at once. */
  async appendCopy(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      if (this.fill === this.capacity) await this.flush();
      const n = Math.min(bytes.length - at, this.capacity - this.fill);
      this.buffer.set(bytes.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
    }
  }

  async flush(): Promise<void> {
    if (this.fill === 0) return;
    const full = this.buffer.subarray(0, this.fill);
    if (this.sink.doneWithBytesOnResolve) {
      // The sink is done with the bytes when the write resolves: the same buffer is filled again.
      const offset = this.offset;
      this.offset += this.fill;
      this.fill = 0;
      await this.sink.write(offset, full);
      return;
    }
    this.buffer = new Uint8Array(this.capacity);
    const offset = this.offset;
    this.offset += this.fill;
    this.fill = 0;
    await this.sink.write(offset, full);
  }
}
