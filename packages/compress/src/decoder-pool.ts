import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { PageCodec } from './codec.js';
import {
  STORED_CODECS,
  STORED_RAW,
  slotBytes,
  slotViews,
  type DecodeRequest,
  type DecodeResponse,
  type PoolInit,
} from './pool-protocol.js';
import { nodeOs, workerThreads, type PoolWorker } from './worker-threads.js';

export interface PageDecoderPoolOptions {
  /** Worker threads; default: available cores - 1, at least 1, at most 4. */
  workers?: number;
  /** The worker entry; default dist/pool-worker.js beside this module (PageCompressorPool's). */
  workerUrl?: URL;
  /**
   * Shared output buffers (SharedArrayBuffer, given to every worker once): `count` of `bytes`
   * bytes, handed out by sharedBuffer(); decode(job, buffer) decodes into one without allocating.
   */
  shared?: { count: number; bytes: number };
}

/** A page that failed to decode in a worker: its index in the job and the decoder's error. */
export class PageDecodeError extends VmcoreError {
  constructor(
    code: VmcoreErrorCode,
    message: string,
    readonly page: number,
  ) {
    super(code, message);
  }
}

interface Job {
  request: DecodeRequest;
  into?: Uint8Array;
  resolve(pages: Uint8Array): void;
  reject(error: Error): void;
}

interface Slot {
  worker: PoolWorker;
  job: Job | undefined;
}

/** How a stored page is kept, for DecodeJob.add: raw or one of the page codecs. */
export type StoredAs = 'raw' | PageCodec;

/**
 * A job's stored pages, gathered on the calling thread: `add()` the bytes of each page in order
 * (they are copied into one growing buffer), then PageDecoderPool.decode(job).
 */
export class DecodeJob {
  #stored: Uint8Array;
  #entries: Uint32Array;
  #used = 0;
  count = 0;

  /** `pages` pages whose stored bytes come to `storedBytes` (both grow if more are added). */
  constructor(
    readonly pageSize: number,
    pages: number,
    storedBytes = pages * pageSize,
  ) {
    this.#stored = new Uint8Array(Math.max(1, storedBytes));
    this.#entries = new Uint32Array(3 * Math.max(1, pages));
  }

  #lastShared: Uint8Array | undefined;
  #lastSharedAt = 0;

  /** Adds a page stored as `as` (its bytes are copied). */
  add(bytes: Uint8Array, as: StoredAs): void {
    if (this.#used + bytes.length > this.#stored.length) {
      const grown = new Uint8Array(Math.max(2 * this.#stored.length, this.#used + bytes.length));
      grown.set(this.#stored.subarray(0, this.#used));
      this.#stored = grown;
    }
    this.#stored.set(bytes, this.#used);
    this.#entry(this.#used, bytes.length, as);
    this.#used += bytes.length;
  }

  /** Like add(), for the same Uint8Array added again and again (a kdump file's shared zero page): stored once. */
  addShared(bytes: Uint8Array, as: StoredAs): void {
    if (bytes === this.#lastShared) {
      this.#entry(this.#lastSharedAt, bytes.length, as);
      return;
    }
    this.#lastShared = bytes;
    this.#lastSharedAt = this.#used;
    this.add(bytes, as);
  }

  #entry(start: number, size: number, as: StoredAs): void {
    if (3 * (this.count + 1) > this.#entries.length) {
      const grown = new Uint32Array(2 * this.#entries.length);
      grown.set(this.#entries);
      this.#entries = grown;
    }
    const e = 3 * this.count;
    this.#entries[e] = start;
    this.#entries[e + 1] = size;
    this.#entries[e + 2] = as === 'raw' ? STORED_RAW : 1 + STORED_CODECS.indexOf(as);
    this.count++;
  }

  /** The request, its buffers to be transferred (the job cannot be used afterwards). */
  request(id: number): DecodeRequest {
    return {
      id,
      op: 'decode',
      pageSize: this.pageSize,
      count: this.count,
      stored: this.#stored.buffer as ArrayBuffer,
      entries: this.#entries.buffer as ArrayBuffer,
    };
  }
}

/**
 * Decodes stored kdump pages (zlib, LZO, snappy, raw) in worker threads, so that reading a
 * kdump file leaves the calling thread free (a QMP monitor stays responsive). Each decode()
 * resolves with the job's pages decoded, in order, in one new buffer; jobs run in parallel, one
 * per worker at a time, and callers await them in the order they need them.
 */
export class PageDecoderPool {
  readonly workers: number;
  readonly #slots: Slot[] = [];
  readonly #waiting: Job[] = [];
  #nextId = 1;
  #failure: Error | undefined;
  #closed = false;
  readonly #shared: Array<{ pages: Uint8Array; index: number; free: boolean }> = [];

  constructor(options: PageDecoderPoolOptions = {}) {
    const threads = workerThreads();
    const os = nodeOs();
    if (!threads || !os) {
      throw new VmcoreError(
        VmcoreErrorCode.Unsupported,
        'PageDecoderPool needs node:worker_threads; decode pages with decompressPage() where it is absent',
      );
    }
    const workers = options.workers ?? Math.max(1, Math.min(4, os.availableParallelism() - 1));
    if (!Number.isSafeInteger(workers) || workers < 1) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `workers ${workers} is not a positive integer`);
    }
    this.workers = workers;
    const url = options.workerUrl ?? new URL('./pool-worker.js', import.meta.url);
    let init: PoolInit | undefined;
    if (options.shared && options.shared.count > 0 && typeof SharedArrayBuffer === 'function') {
      const { count, bytes } = options.shared;
      if (!Number.isSafeInteger(count) || !Number.isSafeInteger(bytes) || bytes < 1 || count > 1024) {
        throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `shared buffers: ${count} of ${bytes} bytes`);
      }
      init = { init: [], batchBytes: bytes, maxPages: 0 };
      for (let index = 0; index < count; index++) {
        const buffer = new SharedArrayBuffer(slotBytes(bytes, 0));
        init.init.push(buffer);
        this.#shared.push({ pages: slotViews(buffer, bytes, 0).pages, index, free: true });
      }
    }
    for (let i = 0; i < workers; i++) {
      const slot: Slot = { worker: new threads.Worker(url), job: undefined };
      slot.worker.on('message', (response: DecodeResponse) => this.#onResponse(slot, response));
      slot.worker.on('error', (error) => this.#fail(error));
      slot.worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(new Error(`worker exited with code ${code}`));
      });
      slot.worker.unref();
      if (init) slot.worker.postMessage(init);
      this.#slots.push(slot);
    }
  }

  /** A free shared output buffer, or undefined (none free, or the pool has none). */
  sharedBuffer(): Uint8Array | undefined {
    const slot = this.#shared.find((s) => s.free);
    if (!slot) return undefined;
    slot.free = false;
    return slot.pages;
  }

  /** True when `bytes` is (a view of) one of this pool's shared buffers. */
  isShared(bytes: Uint8Array): boolean {
    return this.#shared.some((s) => s.pages.buffer === bytes.buffer);
  }

  /** Gives back a buffer from sharedBuffer(). Other arrays: ignored. */
  release(buffer: Uint8Array): void {
    const slot = this.#shared.find((s) => s.pages.buffer === buffer.buffer);
    if (slot) slot.free = true;
  }

  /**
   * Decodes the job's pages, into `into` (a buffer from sharedBuffer(): the result is a view of it)
   * or a new buffer; rejects with PageDecodeError (the failing page's index) or the pool's failure.
   */
  decode(job: DecodeJob, into?: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new VmcoreError(VmcoreErrorCode.InvalidArgument, 'PageDecoderPool is closed'));
    if (this.#failure) return Promise.reject(this.#failure);
    const slot = into ? this.#shared.find((s) => s.pages.buffer === into.buffer) : undefined;
    if (into && (!slot || slot.free || job.count * job.pageSize > slot.pages.length)) {
      return Promise.reject(
        new VmcoreError(VmcoreErrorCode.InvalidArgument, 'decode: the output is not a shared buffer of this pool in use, or too small'),
      );
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const request = job.request(this.#nextId++);
      if (slot) request.slot = slot.index;
      this.#waiting.push({ request, resolve, reject, ...(slot ? { into: slot.pages } : {}) });
      this.#dispatch();
    });
  }

  /** Stops the workers; pending decodes are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = [...this.#waiting.splice(0), ...this.#slots.flatMap((s) => (s.job ? [s.job] : []))];
    for (const job of pending) job.reject(new VmcoreError(VmcoreErrorCode.Aborted, 'PageDecoderPool closed'));
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#waiting.length === 0) return;
      if (slot.job) continue;
      const job = this.#waiting.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.request, [job.request.stored, job.request.entries]);
    }
  }

  #onResponse(slot: Slot, response: DecodeResponse): void {
    // An answer posted before close(), to a job close() has rejected: the worker must stay
    // referenced until it exits, or close()'s await of terminate() may never end (the loop empties first).
    if (this.#closed) return;
    const job = slot.job;
    if (!job || job.request.id !== response.id) {
      this.#fail(new Error(`worker answered decode ${response.id}, expected ${job?.request.id}`));
      return;
    }
    slot.job = undefined;
    slot.worker.unref();
    if ('error' in response) {
      const code = Object.values(VmcoreErrorCode).find((c) => c === response.error.code);
      job.reject(new PageDecodeError(code ?? VmcoreErrorCode.Codec, response.error.message, response.error.page));
    } else if ('slot' in response) {
      job.resolve(job.into!.subarray(0, job.request.count * job.request.pageSize));
    } else {
      job.resolve(response.pages);
    }
    this.#dispatch();
  }

  #fail(cause: unknown): void {
    if (this.#failure) return;
    const message = cause instanceof Error ? cause.message : String(cause);
    this.#failure = new VmcoreError(VmcoreErrorCode.Codec, `page decoder worker failed: ${message}`, { cause });
    const pending = [...this.#waiting.splice(0), ...this.#slots.flatMap((s) => (s.job ? [s.job] : []))];
    for (const slot of this.#slots) slot.job = undefined;
    for (const job of pending) job.reject(this.#failure);
    for (const slot of this.#slots) void slot.worker.terminate();
  }
}
