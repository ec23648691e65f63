// PageDecoderThreads: kdump pages decoded on libuv's thread pool by the native addon. Under
// VMCORE_NO_NATIVE=1 (the package's second test run) it must say it is unavailable and refuse.
import { afterEach, describe, expect, it } from 'vitest';
import { DecodeJob, PageDecodeError, PageDecoderThreads, compressPage, decompressPage, nativeCodecs } from '../dist/index.js';
import { job } from './decode-jobs.js';
import { PAGE, equalBytes, mixedBatch } from './helpers.js';

const disabled = process.env.VMCORE_NO_NATIVE === '1';
const made: PageDecoderThreads[] = [];
function threads(options: ConstructorParameters<typeof PageDecoderThreads>[0]): PageDecoderThreads {
  const t = new PageDecoderThreads(options);
  made.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(made.splice(0).map((t) => t.close()));
});

describe.skipIf(disabled)('PageDecoderThreads (native addon present)', () => {
  it('is available where the addon is built', () => {
    expect(nativeCodecs()?.decodePagesAsync).toBeTypeOf('function');
    expect(PageDecoderThreads.available()).toBe(true);
  });

  it('decodes raw, zlib, lzo and snappy pages on the thread pool to the pages they store, jobs in parallel', async () => {
    const t = threads({ threads: 2 });
    const jobs = Array.from({ length: 5 }, (_, i) => job(40, i * 40));
    const results = await Promise.all(jobs.map(({ job: j }) => t.decode(j)));
    results.forEach((result, i) => expect(equalBytes(result, jobs[i]!.pages), `job ${i}`).toBe(true));
  });

  it('decodes into its output buffers when given one, and refuses other arrays', async () => {
    const t = threads({ threads: 1, shared: { count: 2, bytes: 64 * PAGE } });
    const a = t.sharedBuffer()!;
    expect(t.sharedBuffer()).toBeDefined();
    expect(t.sharedBuffer()).toBeUndefined();
    const x = job(64);
    const result = await t.decode(x.job, a);
    expect(result.buffer).toBe(a.buffer);
    expect(equalBytes(result, x.pages)).toBe(true);
    expect(t.isShared(result)).toBe(true);
    t.release(a);
    expect(t.sharedBuffer()).toBe(a);
    await expect(t.decode(job(2).job, new Uint8Array(2 * PAGE))).rejects.toThrow(/not an output buffer/);
  });

  it("names the first page that fails, with the package's own message (decoded again on the calling thread)", async () => {
    const t = threads({ threads: 2 });
    const j = new DecodeJob(PAGE, 3);
    const pages = mixedBatch(2);
    j.add(pages.subarray(0, PAGE), 'raw');
    const good = compressPage('zlib', pages.subarray(PAGE, 2 * PAGE));
    j.add(good.bytes, good.stored === 'compressed' ? 'zlib' : 'raw');
    const bad = Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0x00);
    j.add(bad, 'zlib');
    const error = await t.decode(j).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PageDecodeError);
    expect((error as PageDecodeError).page).toBe(2);
    expect((error as PageDecodeError).code).toBe('VMCORE_CODEC');
    let here = '';
    try {
      decompressPage('zlib', bad, PAGE);
    } catch (e) {
      here = (e as Error).message;
    }
    expect((error as Error).message).toBe(here);
  });

  it('close() waits for the jobs being decoded and refuses later ones', async () => {
    const t = threads({ threads: 1 });
    const x = job(200);
    const running = t.decode(x.job);
    const queued = t.decode(job(10).job).catch((e: unknown) => e);
    await t.close();
    expect(equalBytes(await running, x.pages)).toBe(true);
    expect((await queued) as Error).toBeInstanceOf(Error);
    await expect(t.decode(job(1).job)).rejects.toThrow(/closed/);
  });

  it('rejects bad arguments in the addon with a clear error instead of crashing', () => {
    const addon = nativeCodecs()!;
    const out = new Uint8Array(PAGE);
    expect(() => addon.decodePagesAsync!(new Uint8Array(1), new Uint32Array(2), 1, PAGE, out)).toThrow(/too small/);
    expect(() => addon.decodePagesAsync!(new Uint8Array(1), new Uint32Array(3), 2, PAGE, out)).toThrow(/too small/);
  });

  it('rejects stored bytes out of bounds with the page, never reading past them', async () => {
    const addon = nativeCodecs()!;
    const failed = await addon.decodePagesAsync!(
      new Uint8Array(10),
      Uint32Array.of(0, 10, 1, 5, PAGE, 0),
      2,
      PAGE,
      new Uint8Array(2 * PAGE),
    ).catch((e: unknown) => e);
    expect((failed as { page: number }).page).toBe(0); // a 10-byte "zlib" stream does not decode
    const outOfBounds = await addon.decodePagesAsync!(
      new Uint8Array(PAGE),
      Uint32Array.of(1, PAGE, 0),
      1,
      PAGE,
      new Uint8Array(PAGE),
    ).catch((e: unknown) => e);
    expect((outOfBounds as { page: number; code: string }).page).toBe(0);
    expect((outOfBounds as { code: string }).code).toBe('VMCORE_CODEC');
  });
});

describe.runIf(disabled)('PageDecoderThreads without the addon (VMCORE_NO_NATIVE=1)', () => {
  it('says it is unavailable and refuses to start', () => {
    expect(PageDecoderThreads.available()).toBe(false);
    expect(() => new PageDecoderThreads()).toThrow(/compress-native/);
  });
});
