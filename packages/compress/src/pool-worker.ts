// Worker entry of PageCompressorPool. Runs as built JavaScript (dist/pool-worker.js): Node 20
// cannot load .ts files in a worker. With the native addon (or, for zlib, the WebAssembly
// libdeflate) it loads only that and native-batch.js (a worker starts in a fraction of the time); the TypeScript codecs
// (batch.js: pako, snappyjs, LZO) are imported the first time a batch needs them.
import { isVmcoreError } from '@vmcore/bytes';
import type { compressBatch } from './batch.js';
import { NATIVE_CODEC_IDS, nativeCodecs } from './native.js';
import { isZlibLevel, nativeBatch } from './native-batch.js';
import { wasmBatch, wasmFor } from './wasm.js';
import { slotViews, type DecodeRequest, type DecodeResponse, type PoolInit, type PoolRequest, type PoolResponse } from './pool-protocol.js';
import type { decompressPage } from './page.js';
import { decodeStoredPages } from './stored-pages.js';
import { workerThreads } from './worker-threads.js';

const port = workerThreads()?.parentPort;
if (!port) throw new Error('pool-worker.js must run in a worker thread');

let ownCodecs: typeof compressBatch | undefined;

let slots: Array<ReturnType<typeof slotViews>> = [];

async function compress(request: PoolRequest) {
  const pages = new Uint8Array(request.pages!);
  const level = request.zlibLevel ?? 1;
  const native = request.native && isZlibLevel(level) ? nativeCodecs() : undefined;
  // The main thread checked the batch (whole pages); the addon checks it again. The pages are
  // this worker's own (transferred or copied to it): compressed in place, and the same buffer
  // goes back as the result's data, for the main thread to read the next batch into.
  if (native) return nativeBatch(native, request.codec, pages, request.pageSize, pages.length / request.pageSize, level, true);
  const wasm = request.native ? wasmFor(request.codec, level, request.pageSize) : undefined;
  if (wasm) return wasmBatch(wasm, pages, request.pageSize, pages.length / request.pageSize, level, true);
  ownCodecs ??= (await import('./batch.js')).compressBatch;
  return ownCodecs(request.codec, pages, request.pageSize, { zlibLevel: request.zlibLevel, native: false });
}

// A batch in shared slot `slot`: compressed in place, kinds and sizes written into the slot;
// nothing is allocated or transferred per batch. Returns the bytes of stored data.
async function compressSlot(request: PoolRequest): Promise<number> {
  const slot = slots[request.slot!];
  const count = request.count!;
  if (!slot || !Number.isSafeInteger(count) || count < 0 || count * request.pageSize > slot.pages.length || count > slot.kinds.length) {
    throw new Error(`shared slot ${request.slot} cannot hold ${count} pages of ${request.pageSize} bytes`);
  }
  const pages = slot.pages.subarray(0, count * request.pageSize);
  const kinds = slot.kinds.subarray(0, count);
  const sizes = slot.sizes.subarray(0, count);
  const level = request.zlibLevel ?? 1;
  const native = request.native && isZlibLevel(level) ? nativeCodecs() : undefined;
  if (native) return native.compressBatch(NATIVE_CODEC_IDS[request.codec], level, pages, request.pageSize, kinds, sizes, pages);
  const wasm = request.native ? wasmFor(request.codec, level, request.pageSize) : undefined;
  if (wasm) return wasm.compressBatch(level, pages, request.pageSize, kinds, sizes, pages);
  ownCodecs ??= (await import('./batch.js')).compressBatch;
  const batch = ownCodecs(request.codec, pages, request.pageSize, { zlibLevel: request.zlibLevel, native: false });
  kinds.set(batch.kinds);
  sizes.set(batch.sizes);
  pages.set(batch.data);
  return batch.data.length;
}

let decompress: typeof decompressPage | undefined;

// PageDecoderPool's jobs: every page decoded into one new buffer (transferred back), with the
// package's own decoders (the addon's where it is present).
async function decode(request: DecodeRequest): Promise<DecodeResponse> {
  const { id, pageSize, count } = request;
  const slot = request.slot === undefined ? undefined : slots[request.slot];
  if (request.slot !== undefined && (!slot || slot.pages.length < count * pageSize)) {
    return { id, error: { code: undefined, message: `shared slot ${request.slot} cannot hold ${count} pages`, page: 0 } };
  }
  const pages = slot ? slot.pages.subarray(0, count * pageSize) : new Uint8Array(count * pageSize);
  decompress ??= (await import('./page.js')).decompressPage;
  const failed = decodeStoredPages(request, pages, decompress);
  if (failed) {
    const { page, error } = failed;
    return {
      id,
      error: { code: isVmcoreError(error) ? error.code : undefined, message: error instanceof Error ? error.message : String(error), page },
    };
  }
  return request.slot === undefined ? { id, pages } : { id, slot: request.slot };
}

// One batch at a time per worker (the pool sends the next when this one is answered).
port.on('message', async (message: PoolRequest | PoolInit | DecodeRequest) => {
  if ('init' in message) {
    slots = message.init.map((buffer) => slotViews(buffer, message.batchBytes, message.maxPages));
    return;
  }
  if ('entries' in message) {
    const response = await decode(message);
    port.postMessage(response, 'pages' in response ? [response.pages.buffer as ArrayBuffer] : []);
    return;
  }
  const request = message;
  let response: PoolResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    if (request.slot !== undefined) {
      response = { id: request.id, used: await compressSlot(request) };
    } else {
      const batch = await compress(request);
      response = { id: request.id, ...batch };
      transfer = [batch.kinds.buffer, batch.sizes.buffer, batch.data.buffer] as ArrayBuffer[];
    }
  } catch (error) {
    response = {
      id: request.id,
      error: {
        code: isVmcoreError(error) ? error.code : undefined,
        message: error instanceof Error ? error.message : String(error),
      },
    };
  }
  port.postMessage(response, transfer);
});
