import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { PageCodec } from './codec.js';
import { STORED_CODECS, STORED_RAW, type DecodeRequest, type DecodeResponse } from './pool-protocol.js';
import { WorkerSlots, type SlotJob } from './worker-slots.js';

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

interface Job extends SlotJob {
  readonly request: DecodeRequest;
  readonly into?: Uint8Array;
  resolve(pages: Uint8Array): void;
  reject(error: Error): void;
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
  readonly #slots: WorkerSlots<Job, DecodeResponse>;
  #closed = false;

  constructor(options: PageDecoderPoolOptions = {}) {
    this.#slots = new WorkerSlots<Job, DecodeResponse>({
      pool: 'PageDecoderPool',
      instead: 'decode pages with decompressPage()',
      worker: 'page decoder worker',
      workers: options.workers,
      workerUrl: options.workerUrl,
      shared: options.shared,
      answered: (job, response) => settle(job, response),
      failed: (error, jobs) => {
        for (const job of jobs) job.reject(error);
      },
    });
    this.workers = this.#slots.workers;
  }

  /** A free shared output buffer, or undefined (none free, or the pool has none). */
  sharedBuffer(): Uint8Array | undefined {
    return this.#slots.sharedBuffer();
  }

  /** True when `bytes` is (a view of) one of this pool's shared buffers. */
  isShared(bytes: Uint8Array): boolean {
    return this.#slots.sharedSlot(bytes) !== undefined;
  }

  /** Gives back a buffer from sharedBuffer(). Other arrays: ignored. */
  release(buffer: Uint8Array): void {
    this.#slots.release(buffer);
  }

  /**
   * Decodes the job's pages, into `into` (a buffer from sharedBuffer(): the result is a view of it)
   * or a new buffer; rejects with PageDecodeError (the failing page's index) or the pool's failure.
   */
  decode(job: DecodeJob, into?: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new VmcoreError(VmcoreErrorCode.InvalidArgument, 'PageDecoderPool is closed'));
    if (this.#slots.failure) return Promise.reject(this.#slots.failure);
    const slot = into ? this.#slots.sharedSlot(into) : undefined;
    if (into && (!slot || slot.free || job.count * job.pageSize > slot.pages.length)) {
      return Promise.reject(
        new VmcoreError(VmcoreErrorCode.InvalidArgument, 'decode: the output is not a shared buffer of this pool in use, or too small'),
      );
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const request = job.request(this.#slots.nextId());
      if (slot) request.slot = slot.index;
      const transfer = [request.stored, request.entries];
      this.#slots.submit({ id: request.id, request, transfer, resolve, reject, ...(slot ? { into: slot.pages } : {}) });
    });
  }

  /** Stops the workers; pending decodes are rejected. Resolves when every worker has exited. */
  async close(): Promise<void> {
    this.#closed = true;
    const { jobs, exited } = this.#slots.stop();
    for (const job of jobs) job.reject(new VmcoreError(VmcoreErrorCode.Aborted, 'PageDecoderPool closed'));
    await exited;
  }
}

function settle(job: Job, response: DecodeResponse): void {
  if ('error' in response) {
    const code = Object.values(VmcoreErrorCode).find((c) => c === response.error.code);
    job.reject(new PageDecodeError(code ?? VmcoreErrorCode.Codec, response.error.message, response.error.page));
  } else if ('slot' in response) {
    job.resolve(job.into!.subarray(0, job.request.count * job.request.pageSize));
  } else {
    job.resolve(response.pages);
  }
}
