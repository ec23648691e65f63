import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { checkBatch, type CompressedBatch } from './batch.js';
import { checkCodec, type PageCodec } from './codec.js';
import { slotBytes, slotViews, type PoolInit, type PoolRequest, type PoolResponse } from './pool-protocol.js';
import { checkZlibLevel } from './zlib.js';
import { nodeOs, workerThreads, type PoolWorker } from './worker-threads.js';

export interface PageCompressorPoolOptions {
  codec: PageCodec;
  /** zlib level 1-9 (default 1, QEMU's Z_BEST_SPEED). */
  zlibLevel?: number;
  /** Use @vmcore/compress-native in the workers where it is present (default true). */
  native?: boolean;
  /** Worker threads; default: available cores - 1, at least 1, at most 4. */
  workers?: number;
  /** ready() waits while more than this many submitted bytes are not yet returned (default 32 MiB). */
  maxQueuedBytes?: number;
  /** The worker entry; default dist/pool-worker.js beside this module. */
  workerUrl?: URL;
  /**
   * Shared batch buffers (SharedArrayBuffer, shared with every worker): `count` of `bytes` bytes
   * each, handed out by sharedBuffer(). A batch read into one is compressed in place by a worker:
   * no copy, no transfer, no allocation per batch. Default: none.
   */
  shared?: { count: number; bytes: number };
}

export interface CompressBatchOptions {
  /** Hand `pages.buffer` to the worker without a copy (it is detached afterwards). Needs a view of the whole buffer. */
  transfer?: boolean;
}

interface Job {
  id: number;
  request: PoolRequest;
  bytes: number;
  /** The shared slot the batch is in (results are views into it). */
  shared?: SharedSlot;
  result?: PoolResponse;
  resolve(batch: CompressedBatch): void;
  reject(error: Error): void;
}

interface Slot {
  worker: PoolWorker;
  job: Job | undefined;
}

type SharedSlot = ReturnType<typeof slotViews> & { index: number; free: boolean };

/** Smallest page size a shared slot is laid out for (its kinds and sizes arrays). */
const MIN_PAGE = 512;

/**
 * Compresses batches of whole pages in worker threads (zero-page detection included), with
 * results delivered in submission order. Backpressure is by queued bytes: `ready()` resolves
 * when fewer than `maxQueuedBytes` submitted bytes are outstanding; `compressChunks` applies it.
 */
export class PageCompressorPool {
  readonly codec: PageCodec;
  private readonly zlibLevel: number | undefined;
  private readonly native: boolean;
  readonly workers: number;
  readonly maxQueuedBytes: number;
  readonly #slots: Slot[] = [];
  readonly #waiting: Job[] = [];
  readonly #inOrder: Job[] = [];
  #readyWaiters: Array<() => void> = [];
  #queuedBytes = 0;
  #nextId = 1;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;
  readonly #shared: SharedSlot[] = [];
  readonly #sharedByBuffer = new Map<ArrayBufferLike, SharedSlot>();

  constructor(options: PageCompressorPoolOptions) {
    this.codec = checkCodec(options.codec);
    this.zlibLevel = options.zlibLevel === undefined ? undefined : checkZlibLevel(options.zlibLevel);
    this.native = options.native !== false;
    const threads = workerThreads();
    const os = nodeOs();
    if (!threads || !os) {
      throw new VmcoreError(
        VmcoreErrorCode.Unsupported,
        'PageCompressorPool needs node:worker_threads; use compressBatch() where it is absent',
      );
    }
    const workers = options.workers ?? Math.max(1, Math.min(4, os.availableParallelism() - 1));
    if (!Number.isSafeInteger(workers) || workers < 1) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `workers ${workers} is not a positive integer`);
    }
    const maxQueuedBytes = options.maxQueuedBytes ?? 32 * 1024 * 1024;
    if (!Number.isSafeInteger(maxQueuedBytes) || maxQueuedBytes < 1) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `maxQueuedBytes ${maxQueuedBytes} is not a positive integer`);
    }
    this.workers = workers;
    this.maxQueuedBytes = maxQueuedBytes;
    const url = options.workerUrl ?? new URL('./pool-worker.js', import.meta.url);
    let init: PoolInit | undefined;
    if (options.shared && options.shared.count > 0 && typeof SharedArrayBuffer === 'function') {
      const { count, bytes } = options.shared;
      if (!Number.isSafeInteger(count) || !Number.isSafeInteger(bytes) || bytes < MIN_PAGE || count > 1024) {
        throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `shared buffers: ${count} of ${bytes} bytes`);
      }
      const maxPages = Math.ceil(bytes / MIN_PAGE);
      init = { init: [], batchBytes: bytes, maxPages };
      for (let index = 0; index < count; index++) {
        const buffer = new SharedArrayBuffer(slotBytes(bytes, maxPages));
        init.init.push(buffer);
        const slot: SharedSlot = { ...slotViews(buffer, bytes, maxPages), index, free: true };
        this.#shared.push(slot);
        this.#sharedByBuffer.set(buffer, slot);
      }
    }
    for (let i = 0; i < workers; i++) {
      const slot: Slot = { worker: new threads.Worker(url), job: undefined };
      slot.worker.on('message', (response: PoolResponse) => this.#onResponse(slot, response));
      slot.worker.on('error', (error) => this.#fail(error));
      slot.worker.on('exit', (code) => {
        if (!this.#closing) this.#fail(new Error(`worker exited with code ${code}`));
      });
      // An idle pool must not keep the process alive.
      slot.worker.unref();
      if (init) slot.worker.postMessage(init);
      this.#slots.push(slot);
    }
  }

  /**
   * A free shared batch buffer (`shared.bytes` long) to read pages into, or undefined when every
   * one is in use (or the pool has none). compressBatch() on it (or on a view from its start)
   * with `transfer` sends no bytes; the result's arrays are views into the buffer, valid until release().
   */
  sharedBuffer(): Uint8Array | undefined {
    for (const slot of this.#shared) {
      if (!slot.free) continue;
      slot.free = false;
      return slot.pages;
    }
    return undefined;
  }

  /** True when `bytes` is (a view into) one of this pool's shared buffers. */
  isShared(bytes: Uint8Array): boolean {
    return this.#sharedByBuffer.has(bytes.buffer);
  }

  /** Gives a shared buffer back (after its batch's result has been used). Other arrays: ignored. */
  release(bytes: Uint8Array): void {
    const slot = this.#sharedByBuffer.get(bytes.buffer);
    if (slot) slot.free = true;
  }

  /** Submitted bytes whose results have not been delivered yet. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /**
   * Compresses n whole pages (`pages.length` = n × `pageSize`). Results arrive in submission
   * order. Without `transfer`, the pages are copied before they are handed to a worker.
   */
  compressBatch(pages: Uint8Array, pageSize: number, options?: CompressBatchOptions): Promise<CompressedBatch> {
    try {
      checkBatch(pages, pageSize);
      if (this.#closing) throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'PageCompressorPool is closed');
      if (this.#failure) throw this.#failure;
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // A shared buffer is compressed in place only when given away (transfer); else it is copied.
    const shared = options?.transfer && pages.byteOffset === 0 ? this.#sharedByBuffer.get(pages.buffer) : undefined;
    const whole = pages.byteOffset === 0 && pages.byteLength === pages.buffer.byteLength && pages.buffer instanceof ArrayBuffer;
    const buffer = shared ? undefined : options?.transfer && whole ? (pages.buffer as ArrayBuffer) : pages.slice().buffer;
    return new Promise<CompressedBatch>((resolve, reject) => {
      const id = this.#nextId++;
      const request: PoolRequest = { id, codec: this.codec, pageSize, zlibLevel: this.zlibLevel, native: this.native };
      if (shared) {
        request.slot = shared.index;
        request.count = pages.length / pageSize;
      } else {
        request.pages = buffer;
      }
      const job: Job = { id, request, bytes: pages.byteLength, resolve, reject, ...(shared ? { shared } : {}) };
      this.#queuedBytes += job.bytes;
      this.#waiting.push(job);
      this.#inOrder.push(job);
      this.#dispatch();
    });
  }

  /** Resolves once fewer than maxQueuedBytes submitted bytes are outstanding. */
  ready(): Promise<void> {
    if (this.#queuedBytes < this.maxQueuedBytes || this.#failure || this.#closing) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /** Compresses a stream of page chunks, yielding their batches in order, with bounded queued bytes. */
  async *compressChunks(
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    pageSize: number,
    options?: CompressBatchOptions,
  ): AsyncGenerator<CompressedBatch> {
    const pending: Array<Promise<CompressedBatch>> = [];
    try {
      for await (const chunk of chunks) {
        const result = this.compressBatch(chunk, pageSize, options);
        result.catch(() => undefined); // awaited below, in order
        pending.push(result);
        while (pending.length > 0 && this.#queuedBytes >= this.maxQueuedBytes) yield await pending.shift()!;
      }
      while (pending.length > 0) yield await pending.shift()!;
    } finally {
      pending.length = 0;
    }
  }

  /** Waits for submitted batches, then stops the workers. Later submissions are rejected. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled(
        this.#inOrder.map(
          (job) =>
            new Promise<void>((done) => {
              const { resolve, reject } = job;
              job.resolve = (batch) => (resolve(batch), done());
              job.reject = (error) => (reject(error), done());
            }),
        ),
      );
      this.#wakeReadyWaiters();
      await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
    })();
    return this.#closing;
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#waiting.length === 0) return;
      if (slot.job) continue;
      const job = this.#waiting.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.request, job.request.pages ? [job.request.pages] : []);
    }
  }

  #onResponse(slot: Slot, response: PoolResponse): void {
    const job = slot.job;
    if (!job || job.id !== response.id) {
      this.#fail(new Error(`worker answered batch ${response.id}, expected ${job?.id}`));
      return;
    }
    slot.job = undefined;
    slot.worker.unref();
    job.result = response;
    this.#deliver();
    this.#dispatch();
  }

  // Settles finished jobs from the head of the submission order, so results arrive in order.
  #deliver(): void {
    while (this.#inOrder.length > 0 && this.#inOrder[0]!.result) {
      const job = this.#inOrder.shift()!;
      const result = job.result!;
      this.#queuedBytes -= job.bytes;
      if ('error' in result) {
        const code = Object.values(VmcoreErrorCode).find((c) => c === result.error.code);
        job.reject(new VmcoreError(code ?? VmcoreErrorCode.Codec, `page compressor worker: ${result.error.message}`));
      } else if ('used' in result) {
        const count = job.request.count!;
        const slot = job.shared!;
        job.resolve({
          kinds: slot.kinds.subarray(0, count),
          sizes: slot.sizes.subarray(0, count),
          data: slot.pages.subarray(0, result.used),
        });
      } else {
        job.resolve({ kinds: result.kinds, sizes: result.sizes, data: result.data });
      }
    }
    if (this.#queuedBytes < this.maxQueuedBytes) this.#wakeReadyWaiters();
  }

  #fail(cause: unknown): void {
    if (this.#failure) return;
    const message = cause instanceof Error ? cause.message : String(cause);
    this.#failure = new VmcoreError(VmcoreErrorCode.Codec, `page compressor worker failed: ${message}`, { cause });
    const jobs = this.#inOrder.splice(0);
    this.#waiting.length = 0;
    this.#queuedBytes = 0;
    for (const job of jobs) job.reject(this.#failure);
    this.#wakeReadyWaiters();
    for (const slot of this.#slots) void slot.worker.terminate();
  }

  #wakeReadyWaiters(): void {
    const waiters = this.#readyWaiters;
    this.#readyWaiters = [];
    for (const wake of waiters) wake();
  }
}
