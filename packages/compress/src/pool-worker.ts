// Worker entry of PageCompressorPool. Runs as built JavaScript (dist/pool-worker.js): Node 20
// cannot load .ts files in a worker.
import { parentPort } from 'node:worker_threads';
import { isVmcoreError } from '@vmcore/bytes';
import { compressBatch } from './batch.js';
import type { PoolRequest, PoolResponse } from './pool-protocol.js';

const port = parentPort;
if (!port) throw new Error('pool-worker.js must run in a worker thread');

port.on('message', (request: PoolRequest) => {
  let response: PoolResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const batch = compressBatch(request.codec, new Uint8Array(request.pages), request.pageSize, {
      zlibLevel: request.zlibLevel,
      native: request.native,
    });
    response = { id: request.id, ...batch };
    transfer = [batch.kinds.buffer, batch.sizes.buffer, batch.data.buffer] as ArrayBuffer[];
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
