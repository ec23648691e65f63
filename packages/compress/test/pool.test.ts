// Imports the built package: the pool starts dist/pool-worker.js (resolved beside the built
// pool.js), because Node 20 cannot run a .ts worker. turbo runs `build` before `test`; by hand,
// run `pnpm --filter @vmcore/compress build` first.
import { afterEach, describe, expect, it } from 'vitest';
import { isVmcoreError } from '@vmcore/bytes';
import { PageCompressorPool, compressBatch, type CompressedBatch } from '../dist/index.js';
import { PAGE, equalBytes, mixedBatch, samplePages } from './helpers.js';

const pools: PageCompressorPool[] = [];
function pool(options: ConstructorParameters<typeof PageCompressorPool>[0]): PageCompressorPool {
  const p = new PageCompressorPool(options);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function sameBatch(a: CompressedBatch, b: CompressedBatch): boolean {
  return (
    equalBytes(a.kinds, b.kinds) &&
    equalBytes(
      new Uint8Array(a.sizes.buffer, a.sizes.byteOffset, a.sizes.byteLength),
      new Uint8Array(b.sizes.buffer, b.sizes.byteOffset, b.sizes.byteLength),
    ) &&
    equalBytes(a.data, b.data)
  );
}

describe('PageCompressorPool', () => {
  it.each(['zlib', 'lzo', 'snappy'] as const)('%s: workers return what compressBatch computes in-thread, in order', async (codec) => {
    const p = pool({ codec, workers: 2 });
    const inputs = Array.from({ length: 6 }, (_, i) => mixedBatch(48, i * 48));
    const results = await Promise.all(inputs.map((pages) => p.compressBatch(pages, PAGE)));
    results.forEach((result, i) => expect(sameBatch(result, compressBatch(codec, inputs[i]!, PAGE)), `batch ${i}`).toBe(true));
  });

  it('settles batches in submission order even when a later one finishes first', async () => {
    const p = pool({ codec: 'lzo', workers: 2 });
    const order: number[] = [];
    const big = p.compressBatch(mixedBatch(600), PAGE).then(() => order.push(0));
    const small = p.compressBatch(samplePages(), PAGE).then(() => order.push(1));
    await Promise.all([big, small]);
    expect(order).toEqual([0, 1]);
  });

  it('copies the pages unless asked to transfer them', async () => {
    const p = pool({ codec: 'snappy', workers: 1 });
    const pages = samplePages();
    await p.compressBatch(pages, PAGE);
    expect(pages.byteLength).toBe(10 * PAGE);
    const expected = compressBatch('snappy', pages, PAGE);
    const result = await p.compressBatch(pages, PAGE, { transfer: true });
    expect(pages.byteLength).toBe(0); // detached: handed to the worker without a copy
    expect(sameBatch(result, expected)).toBe(true);
  });

  it.each(['zlib', 'lzo', 'snappy'] as const)(
    '%s: shared buffers are compressed in place, with results that are views into them until released',
    async (codec) => {
      const p = pool({ codec, workers: 2, shared: { count: 3, bytes: 48 * PAGE } });
      const taken = [p.sharedBuffer(), p.sharedBuffer(), p.sharedBuffer()];
      expect(p.sharedBuffer()).toBeUndefined(); // all three in use
      const inputs = taken.map((_, i) => mixedBatch(48, i * 48));
      taken.forEach((buffer, i) => {
        expect(buffer!.length).toBe(48 * PAGE);
        expect(p.isShared(buffer!)).toBe(true);
        buffer!.set(inputs[i]!);
      });
      const results = await Promise.all(taken.map((buffer) => p.compressBatch(buffer!, PAGE, { transfer: true })));
      results.forEach((result, i) => {
        expect(sameBatch(result, compressBatch(codec, inputs[i]!, PAGE)), `batch ${i}`).toBe(true);
        expect(result.data.buffer).toBe(taken[i]!.buffer); // no copy back either
      });
      p.release(taken[1]!);
      expect(p.sharedBuffer()).toBe(taken[1]);
    },
  );

  it('copies a shared buffer that is not given away (no transfer), leaving it untouched', async () => {
    const p = pool({ codec: 'zlib', workers: 1, shared: { count: 1, bytes: 32 * PAGE } });
    const buffer = p.sharedBuffer()!;
    const pages = mixedBatch(32);
    buffer.set(pages);
    const result = await p.compressBatch(buffer, PAGE);
    expect(sameBatch(result, compressBatch('zlib', pages, PAGE))).toBe(true);
    expect(equalBytes(buffer, pages)).toBe(true);
    expect(result.data.buffer).not.toBe(buffer.buffer);
  });

  it('applies backpressure by queued bytes', async () => {
    const p = pool({ codec: 'zlib', workers: 1, maxQueuedBytes: 64 * PAGE });
    expect(p.queuedBytes).toBe(0);
    const first = p.compressBatch(mixedBatch(64), PAGE);
    expect(p.queuedBytes).toBe(64 * PAGE);
    let ready = false;
    const whenReady = p.ready().then(() => (ready = true));
    // Microtask turns only: no worker message can be handled in between, so this is deterministic.
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(ready).toBe(false);
    await first;
    await whenReady;
    expect(ready).toBe(true);
    expect(p.queuedBytes).toBe(0);
  });

  it('compressChunks yields every chunk’s batch in order while bounding queued bytes', async () => {
    const p = pool({ codec: 'lzo', workers: 2, maxQueuedBytes: 3 * 32 * PAGE });
    const chunks = Array.from({ length: 10 }, (_, i) => mixedBatch(32, i * 32));
    let highWater = 0;
    async function* source() {
      for (const chunk of chunks) {
        highWater = Math.max(highWater, p.queuedBytes);
        yield chunk.slice();
      }
    }
    const out: CompressedBatch[] = [];
    for await (const batch of p.compressChunks(source(), PAGE)) out.push(batch);
    expect(out.length).toBe(10);
    out.forEach((b, i) => expect(sameBatch(b, compressBatch('lzo', chunks[i]!, PAGE)), `chunk ${i}`).toBe(true));
    expect(highWater).toBeLessThan(3 * 32 * PAGE);
  });

  it('rejects a batch that is not whole pages, and batches after close()', async () => {
    const p = pool({ codec: 'lzo', workers: 1 });
    await expect(p.compressBatch(new Uint8Array(PAGE + 1), PAGE)).rejects.toThrow(/not a whole number/);
    await p.close();
    await expect(p.compressBatch(new Uint8Array(PAGE), PAGE)).rejects.toThrow(/closed/);
  });

  it('close() waits for submitted batches', async () => {
    const p = pool({ codec: 'zlib', workers: 1 });
    const result = p.compressBatch(mixedBatch(128), PAGE);
    await p.close();
    await expect(result).resolves.toMatchObject({ kinds: expect.any(Uint8Array) });
  });

  it('propagates an error a worker reports for a batch', async () => {
    const p = pool({ codec: 'lzo', workers: 1, workerUrl: new URL('./fixtures/error-worker.mjs', import.meta.url) });
    const error = await p.compressBatch(samplePages(), PAGE).catch((e: unknown) => e);
    expect(isVmcoreError(error, 'VMCORE_CODEC')).toBe(true);
    expect((error as Error).message).toBe('page compressor worker: lzo: simulated failure');
  });

  it('rejects every pending batch, and later ones, when a worker dies', async () => {
    const p = pool({ codec: 'lzo', workers: 1, workerUrl: new URL('./fixtures/crash-worker.mjs', import.meta.url) });
    const results = await Promise.allSettled([p.compressBatch(samplePages(), PAGE), p.compressBatch(samplePages(), PAGE)]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason.message).toMatch(/worker failed: simulated worker crash/);
    }
    await expect(p.compressBatch(samplePages(), PAGE)).rejects.toThrow(/simulated worker crash/);
  });
});
