import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { checkBatch, type CompressedBatch } from './batch.js';
import { checkCodec, type PageCodec } from './codec.js';
import { OrderedBatches } from './ordered-batches.js';
import type { PoolRequest, PoolResponse } from './pool-protocol.js';
import { WorkerSlots, type SharedSlot, type SlotJob } from './worker-slots.js';
import { checkZlibLevel } from './zlib.js';

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

interface Job extends SlotJob {
  readonly request: PoolRequest;
  readonly bytes: number;
  /** The shared slot the batch is in (results are views into it). */
  readonly shared?: SharedSlot;
  result?: PoolResponse;
  resolve(batch: CompressedBatch): void;
  reject(error: Error): void;
}

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
  readonly #slots: WorkerSlots<Job, PoolResponse>;
  readonly #batches: OrderedBatches<Job>;
  #closing: Promise<void> | undefined;

  constructor(options: PageCompressorPoolOptions) {
    this.codec = checkCodec(options.codec);
    this.zlibLevel = options.zlibLevel === undefined ? undefined : checkZlibLevel(options.zlibLevel);
    this.native = options.native !== false;
    this.#batches = new OrderedBatches<Job>(options.maxQueuedBytes ?? 32 * 1024 * 1024);
    this.#slots = new WorkerSlots<Job, PoolResponse>({
      pool: 'PageCompressorPool',
      instead: 'use compressBatch()',
      worker: 'page compressor worker',
      workers: options.workers,
      workerUrl: options.workerUrl,
      shared: options.shared,
      sharedMinPage: MIN_PAGE,
      answered: (job, response) => {
        job.result = response;
        this.#deliver();
      },
      // Every submitted batch not yet delivered (queued, in a worker or answered out of order) fails.
      failed: (error) => this.#batches.failAll(error),
    });
    this.workers = this.#slots.workers;
  }

  /**
   * A free shared batch buffer (`shared.bytes` long) to read pages into, or undefined when every
   * one is in use (or the pool has none). compressBatch() on it (or on a view from its start)
   * with `transfer` sends no bytes; the result's arrays are views into the buffer, valid until release().
   */
  sharedBuffer(): Uint8Array | undefined {
    return this.#slots.sharedBuffer();
  }

  /** True when `bytes` is (a view into) one of this pool's shared buffers. */
  isShared(bytes: Uint8Array): boolean {
    return this.#slots.sharedSlot(bytes) !== undefined;
  }

  /** Gives a shared buffer back (after its batch's result has been used). Other arrays: ignored. */
  release(bytes: Uint8Array): void {
    this.#slots.release(bytes);
  }

  /** ready() waits while more than this many submitted bytes are not yet returned. */
  get maxQueuedBytes(): number {
    return this.#batches.maxQueuedBytes;
  }

  /** Submitted bytes whose results have not been delivered yet. */
  get queuedBytes(): number {
    return this.#batches.queuedBytes;
  }

  /**
   * Compresses n whole pages (`pages.length` = n × `pageSize`). Results arrive in submission
   * order. Without `transfer`, the pages are copied before they are handed to a worker.
   */
  compressBatch(pages: Uint8Array, pageSize: number, options?: CompressBatchOptions): Promise<CompressedBatch> {
    try {
      checkBatch(pages, pageSize);
      if (this.#closing) throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'PageCompressorPool is closed');
      if (this.#slots.failure) throw this.#slots.failure;
    } catch (error) {
      return Promise.reject(error as Error);
    }
    // A shared buffer is compressed in place only when given away (transfer); else it is copied.
    const shared = options?.transfer && pages.byteOffset === 0 ? this.#slots.sharedSlot(pages) : undefined;
    const whole = pages.byteOffset === 0 && pages.byteLength === pages.buffer.byteLength && pages.buffer instanceof ArrayBuffer;
    const buffer = shared ? undefined : options?.transfer && whole ? (pages.buffer as ArrayBuffer) : pages.slice().buffer;
    return new Promise<CompressedBatch>((resolve, reject) => {
      const id = this.#slots.nextId();
      const request: PoolRequest = { id, codec: this.codec, pageSize, zlibLevel: this.zlibLevel, native: this.native };
      if (shared) {
        request.slot = shared.index;
        request.count = pages.length / pageSize;
      } else {
        request.pages = buffer;
      }
      const transfer = request.pages ? [request.pages] : [];
      const job: Job = { id, request, transfer, bytes: pages.byteLength, resolve, reject, ...(shared ? { shared } : {}) };
      this.#batches.add(job);
      this.#slots.submit(job);
    });
  }

  /** Resolves once fewer than maxQueuedBytes submitted bytes are outstanding. */
  ready(): Promise<void> {
    return this.#batches.ready(this.#slots.failure !== undefined || this.#closing !== undefined);
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
        while (pending.length > 0 && this.queuedBytes >= this.maxQueuedBytes) yield await pending.shift()!;
      }
      while (pending.length > 0) yield await pending.shift()!;
    } finally {
      pending.length = 0;
    }
  }

  /** Waits for submitted batches, then stops the workers. Later submissions are rejected. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#batches.settled();
      this.#batches.wake();
      await this.#slots.stop().exited;
    })();
    return this.#closing;
  }

  // Settles finished jobs from the head of the submission order, so results arrive in order.
  #deliver(): void {
    this.#batches.deliver(
      (job) => job.result !== undefined,
      (job) => {
        const result = job.result!;
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
      },
    );
  }
}
