import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

/** A buffer a compressor or decoder hands out: its pages, and whether it is free. */
export interface HandedBuffer {
  readonly pages: Uint8Array;
  free: boolean;
}

/** Checks a `shared: { count, bytes }` option: at most 1024 buffers of at least `minBytes`. */
export function checkSharedBuffers(count: number, bytes: number, minBytes: number): void {
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(bytes) || bytes < minBytes || count > 1024) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `shared buffers: ${count} of ${bytes} bytes`);
  }
}

/**
 * The buffers a page compressor or decoder owns and hands out (sharedBuffer / isShared / release
 * of PageCompressorPool, PageDecoderPool and their thread-pool twins), found by the ArrayBuffer a
 * view of one points into.
 */
export class BufferSet<T extends HandedBuffer> {
  readonly #byBuffer = new Map<ArrayBufferLike, T>();

  add(entry: T): void {
    this.#byBuffer.set(entry.pages.buffer, entry);
  }

  /** A free buffer, now in use, or undefined: none free, or none at all. */
  take(): Uint8Array | undefined {
    for (const entry of this.#byBuffer.values()) {
      if (!entry.free) continue;
      entry.free = false;
      return entry.pages;
    }
    return undefined;
  }

  /** The entry whose buffer `bytes` is (a view of), or undefined. */
  entryOf(bytes: Uint8Array): T | undefined {
    return this.#byBuffer.get(bytes.buffer);
  }

  /** Gives back a buffer from take(); other arrays are ignored. */
  release(bytes: Uint8Array): void {
    const entry = this.#byBuffer.get(bytes.buffer);
    if (entry) entry.free = true;
  }
}
