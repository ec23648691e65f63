// PageCompressorThreads: batches on libuv's thread pool through the native addon. Under
// VMCORE_NO_NATIVE=1 (the package's second test run) it must say it is unavailable and refuse.
import { afterEach, describe, expect, it } from 'vitest';
import { isVmcoreError } from '@vmcore/bytes';
import { PageCompressorThreads, compressBatch, nativeCodecs, type CompressedBatch } from '../dist/index.js';
import { PAGE, equalBytes, mixedBatch, samplePages } from './helpers.js';

const disabled = process.env.VMCORE_NO_NATIVE === '1';
const made: PageCompressorThreads[] = [];
function threads(options: ConstructorParameters<typeof PageCompressorThreads>[0]): PageCompressorThreads {
  const t = new PageCompressorThreads(options);
  made.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((t) => t.close()));
});

function sameBatch(a: CompressedBatch, b: CompressedBatch): boolean {
  return equalBytes(a.kinds, b.kinds) && a.sizes.every((size, i) => size === b.sizes[i]) && equalBytes(a.data, b.data);
}

describe.skipIf(disabled)('PageCompressorThreads (native addon present)', () => {
  it('is available where the addon is built', () => {
    // The CI installs the addon's libraries: its absence here is a broken build, not a skip.
    expect(nativeCodecs()?.compressBatchAsync).toBeTypeOf('function');
    expect(PageCompressorThreads.available('zlib')).toBe(true);
    expect(PageCompressorThreads.available('zlib', 0)).toBe(false); // the addon takes levels 1-9 only
  });

  it.each(['zlib', 'lzo', 'snappy'] as const)('%s: returns what compressBatch computes in-thread, in order', async (codec) => {
    const t = threads({ codec, threads: 2 });
    const inputs = Array.from({ length: 8 }, (_, i) => mixedBatch(48, i * 48));
    const originals = inputs.map((pages) => pages.slice());
    const results = await Promise.all(inputs.map((pages) => t.compressBatch(pages, PAGE)));
    results.forEach((result, i) => expect(sameBatch(result, compressBatch(codec, originals[i]!, PAGE)), `batch ${i}`).toBe(true));
    // Not handed over: the caller's pages are untouched (a copy was compressed).
    inputs.forEach((pages, i) => expect(equalBytes(pages, originals[i]!)).toBe(true));
  });

  it('settles batches in submission order even when a later one finishes first', async () => {
    const t = threads({ codec: 'zlib', threads: 2 });
    const order: number[] = [];
    const big = t.compressBatch(mixedBatch(2000), PAGE).then(() => order.push(0));
    const small = t.compressBatch(samplePages(), PAGE).then(() => order.push(1));
    await Promise.all([big, small]);
    expect(order).toEqual([0, 1]);
  });

  it('compresses its batch buffers in place: results are views into them', async () => {
    const t = threads({ codec: 'zlib', threads: 2, shared: { count: 2, bytes: 48 * PAGE } });
    const a = t.sharedBuffer()!;
    const b = t.sharedBuffer()!;
    expect(t.sharedBuffer()).toBeUndefined();
    expect(t.isShared(a) && t.isShared(b)).toBe(true);
    const input = mixedBatch(48);
    a.set(input);
    const result = await t.compressBatch(a, PAGE, { transfer: true });
    expect(result.data.buffer).toBe(a.buffer);
    expect(sameBatch(result, compressBatch('zlib', input, PAGE))).toBe(true);
    t.release(a);
    expect(t.sharedBuffer()).toBe(a);
  });

  it('applies backpressure by queued bytes', async () => {
    const t = threads({ codec: 'zlib', threads: 1, maxQueuedBytes: 64 * PAGE });
    const first = t.compressBatch(mixedBatch(48), PAGE);
    const second = t.compressBatch(mixedBatch(48), PAGE);
    expect(t.queuedBytes).toBe(96 * PAGE);
    let ready = false;
    const waiting = t.ready().then(() => (ready = true));
    expect(ready).toBe(false);
    await first;
    await waiting;
    expect(ready).toBe(true);
    await second;
    expect(t.queuedBytes).toBe(0);
  });

  it('refuses a batch that is not whole pages, and batches after close()', async () => {
    const t = threads({ codec: 'zlib' });
    await expect(t.compressBatch(new Uint8Array(PAGE + 1), PAGE)).rejects.toThrow(/whole number/);
    await t.close();
    const refused = await t.compressBatch(samplePages(), PAGE).catch((error: unknown) => error);
    expect(isVmcoreError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/closed/);
  });

  it('rejects bad arguments in the addon with a clear error instead of crashing', () => {
    const addon = nativeCodecs()!;
    const pages = new Uint8Array(2 * PAGE);
    expect(() => addon.compressBatchAsync!(0, 1, pages, PAGE, new Uint8Array(1), new Uint32Array(2), pages)).toThrow(/too small/);
    expect(() => addon.compressBatchAsync!(7, 1, pages, PAGE, new Uint8Array(2), new Uint32Array(2), pages)).toThrow(/unknown codec/);
    expect(() => addon.compressBatchAsync!(0, 1, pages, 0, new Uint8Array(2), new Uint32Array(2), pages)).toThrow(/whole number/);
  });
});

describe.runIf(disabled)('PageCompressorThreads without the addon (VMCORE_NO_NATIVE=1)', () => {
  it('says it is unavailable and refuses to start', () => {
    expect(PageCompressorThreads.available('zlib')).toBe(false);
    expect(() => new PageCompressorThreads({ codec: 'zlib' })).toThrow(/compress-native/);
  });
});
