import type { PageCodec } from './codec.js';

/** Main thread → worker: one batch of whole pages, its buffer transferred. */
export interface PoolRequest {
  id: number;
  codec: PageCodec;
  pageSize: number;
  zlibLevel: number | undefined;
  native: boolean;
  pages: ArrayBuffer;
}

/** Worker → main thread: the batch's result (buffers transferred) or why it failed. */
export type PoolResponse =
  | { id: number; kinds: Uint8Array; sizes: Uint32Array; data: Uint8Array }
  | { id: number; error: { code: string | undefined; message: string } };
