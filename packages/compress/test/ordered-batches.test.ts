import { describe, expect, it } from 'vitest';
import type { CompressedBatch } from '../src/batch.js';
import { OrderedBatches, type OrderedJob } from '../src/ordered-batches.js';

type Job = OrderedJob & { id: number; done?: boolean };
const batch = (id: number): CompressedBatch => ({ kinds: new Uint8Array([id]), sizes: new Uint32Array(1), data: new Uint8Array(0) });

function job(id: number, bytes: number, log: string[]): Job {
  return { id, bytes, resolve: (b) => log.push(`ok ${b.kinds[0]}`), reject: (e) => log.push(`failed ${id}: ${e.message}`) };
}

describe('OrderedBatches', () => {
  it('settles in submission order whatever order jobs finish in, and counts queued bytes', () => {
    const log: string[] = [];
    const batches = new OrderedBatches<Job>(100);
    const jobs = [job(1, 10, log), job(2, 20, log), job(3, 30, log)];
    for (const j of jobs) batches.add(j);
    expect(batches.queuedBytes).toBe(60);
    const deliver = () =>
      batches.deliver(
        (j) => j.done === true,
        (j) => j.resolve(batch(j.id)),
      );
    jobs[2]!.done = true;
    deliver();
    expect(log).toEqual([]); // 3 waits for 1 and 2
    jobs[0]!.done = true;
    deliver();
    expect(log).toEqual(['ok 1']);
    jobs[1]!.done = true;
    deliver();
    expect(log).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(batches.queuedBytes).toBe(0);
    expect(batches.pending).toEqual([]);
  });

  it('holds ready() while maxQueuedBytes are queued, and lets it go when enough are settled or when open', async () => {
    const log: string[] = [];
    const batches = new OrderedBatches<Job>(25);
    const first = job(1, 20, log);
    batches.add(first);
    batches.add(job(2, 10, log));
    let ready = false;
    const waiting = batches.ready().then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false);
    await batches.ready(true); // a closing compressor never makes its caller wait
    first.done = true;
    batches.deliver(
      (j) => j.done === true,
      (j) => j.resolve(batch(j.id)),
    );
    await waiting;
    expect(ready).toBe(true);
  });

  it('failAll rejects every unsettled job, and settled() resolves once all are settled', async () => {
    const log: string[] = [];
    const batches = new OrderedBatches<Job>(100);
    batches.add(job(1, 10, log));
    batches.add(job(2, 10, log));
    const settled = batches.settled();
    batches.failAll(new Error('worker died'));
    await settled;
    expect(log).toEqual(['failed 1: worker died', 'failed 2: worker died']);
    expect(batches.queuedBytes).toBe(0);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new OrderedBatches(0)).toThrow(/maxQueuedBytes 0/);
    expect(() => new OrderedBatches(1.5)).toThrow(/maxQueuedBytes 1.5/);
  });
});
