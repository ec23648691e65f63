import type { PageCodec } from './codec.js';

/**
 * Main thread → worker, once before any batch: the pool's shared batch buffers. Slot i is
 * `buffers[i]`: `batchBytes` bytes of pages, then `maxPages` u32 sizes, then `maxPages` kinds.
 */
export interface PoolInit {
  init: SharedArrayBuffer[];
  batchBytes: number;
  maxPages: number;
}

/**
 * Main thread → worker: one batch of whole pages, either its buffer transferred (`pages`) or in
 * shared slot `slot` (`count` pages from its start; compressed in place, results in the slot).
 */
export interface PoolRequest {
  id: number;
  codec: PageCodec;
  pageSize: number;
  zlibLevel: number | undefined;
  native: boolean;
  pages?: ArrayBuffer;
  slot?: number;
  count?: number;
}

/** Worker → main thread: the batch's result (buffers transferred, or `used` bytes of the slot) or why it failed. */
export type PoolResponse =
  | { id: number; kinds: Uint8Array; sizes: Uint32Array; data: Uint8Array }
  | { id: number; used: number }
  | { id: number; error: { code: string | undefined; message: string } };

/** The views of a shared slot (both sides build the same ones). */
export function slotViews(buffer: SharedArrayBuffer, batchBytes: number, maxPages: number) {
  return {
    pages: new Uint8Array(buffer, 0, batchBytes),
    sizes: new Uint32Array(buffer, batchBytes, maxPages),
    kinds: new Uint8Array(buffer, batchBytes + 4 * maxPages, maxPages),
  };
}

/** Bytes of one shared slot. */
export function slotBytes(batchBytes: number, maxPages: number): number {
  return batchBytes + 5 * maxPages;
}
