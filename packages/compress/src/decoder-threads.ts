import { VmcoreError, VmcoreErrorCode, isVmcoreError } from '@vmcore/bytes';
import { PageDecodeError, type DecodeJob } from './decoder-pool.js';
import { nativeCodecs, type NativeCodecs } from './native.js';
import { decompressPage } from './page.js';
import type { DecodeRequest } from './pool-protocol.js';
import { BufferSet, checkSharedBuffers, type HandedBuffer } from './buffer-set.js';
import { decodeStoredPages } from './stored-pages.js';

export interface PageDecoderThreadsOptions {
  /** Jobs decoded at once on libuv's thread pool (default 2). */
  threads?: number;
  /** Output buffers handed out by sharedBuffer(): `count` of `bytes` bytes. */
  shared?: { count: number; bytes: number };
}

interface Job {
  request: DecodeRequest;
  out: Uint8Array;
  resolve(pages: Uint8Array): void;
  reject(error: Error): void;
}

/**
 * PageDecoderPool's contract (`decode(job, into?)`, output buffers, `PageDecodeError` naming the
 * page) with the pages decoded by the native addon's decodePagesAsync on libuv's thread pool: no
 * worker to boot (a decoder pool's worker cost ~55 ms of CPU per start, more than it saved on 2
 * cores). A job the addon cannot decode is decoded again here with the package's own decoders, so
 * the error is theirs. Only where the addon is present: see `PageDecoderThreads.available`.
 */
export class PageDecoderThreads {
  readonly workers: number;
  readonly #addon: NativeCodecs;
  readonly #buffers = new BufferSet<HandedBuffer>();
  readonly #waiting: Job[] = [];
  #running = 0;
  #closed = false;
  #idle: Array<() => void> = [];

  /** True when the addon can decode on the thread pool. */
  static available(): boolean {
    return typeof nativeCodecs()?.decodePagesAsync === 'function';
  }

  constructor(options: PageDecoderThreadsOptions = {}) {
    const addon = nativeCodecs();
    if (!addon?.decodePagesAsync) {
      throw new VmcoreError(VmcoreErrorCode.Unsupported, 'PageDecoderThreads needs @vmcore/compress-native');
    }
    this.#addon = addon;
    const threads = options.threads ?? 2;
    if (!Number.isSafeInteger(threads) || threads < 1) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `threads ${threads} is not a positive integer`);
    }
    this.workers = threads;
    if (options.shared && options.shared.count > 0) {
      const { count, bytes } = options.shared;
      checkSharedBuffers(count, bytes, 1);
      for (let i = 0; i < count; i++) this.#buffers.add({ pages: new Uint8Array(bytes), free: true });
    }
  }

  /** A free output buffer, or undefined (none free, or none at all). */
  sharedBuffer(): Uint8Array | undefined {
    return this.#buffers.take();
  }

  /** True when `bytes` is (a view of) one of the output buffers. */
  isShared(bytes: Uint8Array): boolean {
    return this.#buffers.entryOf(bytes) !== undefined;
  }

  /** Gives back a buffer from sharedBuffer(). Other arrays: ignored. */
  release(bytes: Uint8Array): void {
    this.#buffers.release(bytes);
  }

  /** Decodes the job's pages in order, into `into` (a buffer from sharedBuffer(): the result is a view of it) or a new buffer. */
  decode(job: DecodeJob, into?: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new VmcoreError(VmcoreErrorCode.InvalidArgument, 'PageDecoderThreads is closed'));
    const request = job.request(0);
    const bytes = request.count * request.pageSize;
    if (into && (!this.isShared(into) || into.length < bytes)) {
      return Promise.reject(
        new VmcoreError(VmcoreErrorCode.InvalidArgument, 'decode: the output is not an output buffer of these threads, or too small'),
      );
    }
    const out = into ? into.subarray(0, bytes) : new Uint8Array(bytes);
    return new Promise<Uint8Array>((resolve, reject) => {
      this.#waiting.push({ request, out, resolve, reject });
      this.#start();
    });
  }

  /** Waits for the jobs being decoded; later decodes are refused. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#waiting.splice(0)) job.reject(new VmcoreError(VmcoreErrorCode.Aborted, 'PageDecoderThreads closed'));
    if (this.#running > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #start(): void {
    while (this.#running < this.workers && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#running++;
      const { stored, entries, count, pageSize } = job.request;
      let done: Promise<number>;
      try {
        done = this.#addon.decodePagesAsync!(new Uint8Array(stored), new Uint32Array(entries), count, pageSize, job.out);
      } catch (error) {
        done = Promise.reject(error as Error);
      }
      done.then(
        () => this.#finish(job),
        () => this.#finish(job, true),
      );
    }
  }

  #finish(job: Job, failed = false): void {
    this.#running--;
    if (!failed) job.resolve(job.out);
    else {
      try {
        decodeHere(job.request, job.out);
        job.resolve(job.out);
      } catch (error) {
        job.reject(error as Error);
      }
    }
    if (this.#running === 0) for (const wake of this.#idle.splice(0)) wake();
    this.#start();
  }
}

// The job decoded on this thread with the package's decoders: the error of its first bad page.
function decodeHere(request: DecodeRequest, out: Uint8Array): void {
  const failed = decodeStoredPages(request, out, decompressPage);
  if (!failed) return; // the addon refused a page the package decodes: the pages are right all the same
  const { page, error } = failed;
  throw new PageDecodeError(
    isVmcoreError(error) ? error.code : VmcoreErrorCode.Codec,
    error instanceof Error ? error.message : String(error),
    page,
  );
}
