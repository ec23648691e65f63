import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { CompressedBatch } from './batch.js';

/** A submitted batch as OrderedBatches tracks it. */
export interface OrderedJob {
  /** Bytes submitted: counted against maxQueuedBytes until the batch is settled. */
  readonly bytes: number;
  resolve(batch: CompressedBatch): void;
  reject(error: Error): void;
}

/**
 * What the page compressors (PageCompressorPool, PageCompressorThreads) share: batches settled
 * in submission order whatever order they finish in, and backpressure by queued bytes.
 */
export class OrderedBatches<J extends OrderedJob> {
  readonly #jobs: J[] = [];
  #queuedBytes = 0;
  #readyWaiters: Array<() => void> = [];

  constructor(readonly maxQueuedBytes: number) {
    if (!Number.isSafeInteger(maxQueuedBytes) || maxQueuedBytes < 1) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `maxQueuedBytes ${maxQueuedBytes} is not a positive integer`);
    }
  }

  /** Submitted bytes whose batches are not settled yet. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Every job not settled yet, oldest first. */
  get pending(): readonly J[] {
    return this.#jobs;
  }

  add(job: J): void {
    this.#queuedBytes += job.bytes;
    this.#jobs.push(job);
  }

  /** Settles, with `settle`, the jobs at the head of the order that are `done`; wakes ready() when below the limit. */
  deliver(done: (job: J) => boolean, settle: (job: J) => void): void {
    while (this.#jobs.length > 0 && done(this.#jobs[0]!)) {
      const job = this.#jobs.shift()!;
      this.#queuedBytes -= job.bytes;
      settle(job);
    }
    if (this.#queuedBytes < this.maxQueuedBytes) this.wake();
  }

  /** Rejects every job not settled yet with `error`. */
  failAll(error: Error): void {
    const jobs = this.#jobs.splice(0);
    this.#queuedBytes = 0;
    for (const job of jobs) job.reject(error);
    this.wake();
  }

  /** Resolves once fewer than maxQueuedBytes are queued, or at once when `open` (a closing or failed compressor). */
  ready(open = false): Promise<void> {
    if (open || this.#queuedBytes < this.maxQueuedBytes) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Resolves when every job added so far is settled (resolved or rejected). */
  settled(): Promise<void> {
    return Promise.allSettled(
      this.#jobs.map(
        (job) =>
          new Promise<void>((done) => {
            const { resolve, reject } = job;
            job.resolve = (batch) => (resolve(batch), done());
            job.reject = (error) => (reject(error), done());
          }),
      ),
    ).then(() => undefined);
  }

  /** Wakes every ready() waiter. */
  wake(): void {
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const wake of waiters) wake();
  }
}
