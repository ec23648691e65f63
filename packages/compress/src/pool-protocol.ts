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

/** Codes of DecodeRequest.entries: how page i is stored. */
export const STORED_RAW = 0;
export const STORED_CODECS: readonly PageCodec[] = ['zlib', 'lzo', 'snappy']; // codes 1, 2, 3

/**
 * Main thread → worker: `count` stored pages to decode. `entries` (u32 triples, transferred):
 * page i's bytes are stored[start, start + size), stored as code (0 raw, 1 zlib, 2 lzo, 3 snappy).
 */
export interface DecodeRequest {
  id: number;
  op: 'decode';
  pageSize: number;
  count: number;
  stored: ArrayBuffer;
  entries: ArrayBuffer;
  /** Decode into shared slot `slot` (PoolInit's buffers) instead of a new buffer. */
  slot?: number;
}

/** Worker → main thread: the decoded pages (transferred), or the first page that failed and why. */
export type DecodeResponse =
  | { id: number; pages: Uint8Array }
  | { id: number; slot: number }
  | { id: number; error: { code: string | undefined; message: string; page: number } };

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
