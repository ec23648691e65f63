// Imports the built package: the pool starts dist/pool-worker.js (see pool.test.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DecodeJob, PageDecodeError, PageDecoderPool, compressPage, decompressPage } from '../dist/index.js';
import { job } from './decode-jobs.js';
import { PAGE, equalBytes, mixedBatch } from './helpers.js';

const pools: PageDecoderPool[] = [];
function pool(options: ConstructorParameters<typeof PageDecoderPool>[0]): PageDecoderPool {
  const p = new PageDecoderPool(options);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('PageDecoderPool', () => {
  it('decodes raw, zlib, lzo and snappy pages in workers to the pages they store, jobs in parallel', async () => {
    const p = pool({ workers: 2 });
    const jobs = Array.from({ length: 5 }, (_, i) => job(40, i * 40));
    const results = await Promise.all(jobs.map(({ job: j }) => p.decode(j)));
    results.forEach((result, i) => expect(equalBytes(result, jobs[i]!.pages), `job ${i}`).toBe(true));
  });

  it('decodes into its shared buffers when given one', async () => {
    const p = pool({ workers: 1, shared: { count: 2, bytes: 64 * PAGE } });
    const a = p.sharedBuffer()!;
    const b = p.sharedBuffer()!;
    expect(p.sharedBuffer()).toBeUndefined();
    const [x, y] = [job(64), job(30, 64)];
    const [rx, ry] = await Promise.all([p.decode(x.job, a), p.decode(y.job, b)]);
    expect(rx.buffer).toBe(a.buffer);
    expect(ry.buffer).toBe(b.buffer);
    expect(equalBytes(rx, x.pages)).toBe(true);
    expect(equalBytes(ry, y.pages)).toBe(true);
    expect(p.isShared(rx)).toBe(true);
    p.release(a);
    expect(p.sharedBuffer()).toBe(a);
    await expect(p.decode(job(1).job, new Uint8Array(PAGE))).rejects.toThrow(/not a shared buffer/);
  });

  it('names the page that does not decode, with the decoder’s error code', async () => {
    const p = pool({ workers: 1 });
    const j = new DecodeJob(PAGE, 3);
    const good = compressPage('zlib', mixedBatch(1).subarray(0, PAGE));
    j.add(new Uint8Array(PAGE), 'raw');
    j.add(good.bytes, good.stored === 'compressed' ? 'zlib' : 'raw');
    j.add(Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0x00), 'zlib');
    const error = await p.decode(j).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PageDecodeError);
    expect((error as PageDecodeError).page).toBe(2);
    expect((error as PageDecodeError).code).toBe('VMCORE_CODEC');
    // The same message decompressPage gives on the calling thread.
    let here = '';
    try {
      decompressPage('zlib', Uint8Array.of(0x78, 0x9c, 0xff, 0xff, 0x00), PAGE);
    } catch (e) {
      here = (e as Error).message;
    }
    expect((error as Error).message).toBe(here);
  });

  // The cause of `vmcore info` exiting with 13 (unsettled top-level await) on a raw kdump: the
  // answer to a decode in flight at close() arrived after terminate() had referenced the worker,
  // and unreferenced it; with nothing else to do, Node ended before the worker's 'exit' event.
  it('keeps the process alive until close() has stopped its workers when an answer arrives after close()', () => {
    const script = fileURLToPath(new URL('./fixtures/close-during-answer.mjs', import.meta.url));
    const child = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect({ status: child.status, stdout: child.stdout, stderr: child.stderr }).toEqual({ status: 0, stdout: 'closed\n', stderr: '' });
  });
});
