import { checkRange } from './numbers.js';

/**
 * Random access to bytes: a file, a memory buffer, a remote object. `read` may return fewer
 * bytes only at the end of the source; implementations never return more than asked.
 */
export interface RandomAccessSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A human-readable name used in error messages (a path, "<memory>"). */
  readonly name: string;
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional: reads into `target` (from `offset`, up to `target.length` bytes) and returns the
   * count, fewer only at the end of the source. Lets a caller reuse its buffers.
   */
  readInto?(offset: number, target: Uint8Array): Promise<number>;
  /**
   * Optional: how many bytes of [offset, offset + length) the source really stores; the rest
   * reads as zeros (the gaps between a flattened file's records). Lets a reader refuse a header
   * that claims megabytes of structure the file never wrote. Absent: every byte is stored.
   */
  storedBytes?(offset: number, length: number): number;
  /**
   * Optional: the first run of bytes the source stores at or after `offset`, as [start, end)
   * (start = size when only a hole follows): lseek SEEK_DATA / SEEK_HOLE on a sparse file. Every
   * byte outside such runs reads as zero, so a reader may skip it. undefined: cannot tell here.
   */
  dataRange?(offset: number): { start: number; end: number } | undefined;
  /**
   * Optional: an open file descriptor whose bytes at the source's offsets are the source's
   * bytes (a file), valid until close(). Lets a consumer read them itself, off the calling thread
   * together with other work (@vmcore/compress's thread pool). Absent: only read() and readInto().
   */
  readonly fd?: number;
  close?(): Promise<void>;
}

/** Where a writer that needs to seek puts its bytes (kdump raw files, flattened streams). */
export interface PositionedSink {
  write(offset: number, bytes: Uint8Array): Promise<void>;
  close?(): Promise<void>;
  /** As SequentialSink's: true when write() is done with the bytes once it resolves. */
  readonly doneWithBytesOnResolve?: boolean;
}

/** A sink that only appends (ELF to a pipe). */
export interface SequentialSink {
  write(bytes: Uint8Array): Promise<void>;
  close?(): Promise<void>;
  /**
   * True when write() has copied or written every byte by the time it resolves, so the caller
   * may reuse the buffer at once (a file, memory). Absent or false (a stream that queues the
   * buffer): the caller must hand over a buffer it never touches again.
   */
  readonly doneWithBytesOnResolve?: boolean;
  /**
   * Optional: appends `length` bytes of `source` from `offset` without passing them through this
   * thread (a kernel copy between files). Resolves false, having appended nothing (the position
   * is unchanged), when it cannot for this source; the caller then reads and writes.
   */
  copyFrom?(source: RandomAccessSource, offset: number, length: number): Promise<boolean>;
}

/** A source over bytes already in memory (tests, small notes). */
export class MemorySource implements RandomAccessSource {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly name = '<memory>',
  ) {
    this.size = bytes.length;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.min(Math.max(0, offset), this.size);
    return this.bytes.subarray(start, Math.min(this.size, start + Math.max(0, length)));
  }
}

/** A growing in-memory sink (tests, small outputs); positioned writes may leave zero gaps. */
export class MemorySink implements PositionedSink, SequentialSink {
  /** write() copies the bytes. */
  readonly doneWithBytesOnResolve = true;
  private buffer = new Uint8Array(1 << 16);
  private length = 0;

  async write(offsetOrBytes: number | Uint8Array, maybeBytes?: Uint8Array): Promise<void> {
    const [offset, bytes] = typeof offsetOrBytes === 'number' ? [offsetOrBytes, maybeBytes!] : [this.length, offsetOrBytes];
    const end = offset + bytes.length;
    if (end > this.buffer.length) {
      const grown = new Uint8Array(Math.max(end, this.buffer.length * 2));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(bytes, offset);
    this.length = Math.max(this.length, end);
  }

  /** A copy of everything written so far. */
  bytesCopy(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** Reads exactly `length` bytes or throws a truncation error naming the source. */
export async function readExact(source: RandomAccessSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  checkRange(source.size, offset, length, `${source.name}: ${what}`);
  const bytes = await source.read(offset, length);
  if (bytes.length !== length) checkRange(offset + bytes.length, offset, length, `${source.name}: ${what}`);
  return bytes;
}

/** The parts one after another in a new buffer. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
