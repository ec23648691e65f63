import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { checkBatch, type CompressedBatch } from './batch.js';
import { checkCodec, type PageCodec } from './codec.js';
import { NATIVE_CODEC_IDS, nativeCodecs, type NativeCodecs } from './native.js';
import { BufferSet, checkSharedBuffers, type HandedBuffer } from './buffer-set.js';
import { OrderedBatches } from './ordered-batches.js';
import { isZlibLevel } from './native-batch.js';
import type { CompressBatchOptions } from './pool.js';

export interface PageCompressorThreadsOptions {
  codec: PageCodec;
  /** zlib level 1-9 (default 1, QEMU's Z_BEST_SPEED). */
  zlibLevel?: number;
  /** Batches compressed at once on libuv's thread pool (default 2). */
  threads?: number;
  /** ready() waits while more than this many submitted bytes are not yet returned (default 32 MiB). */
  maxQueuedBytes?: number;
  /** Batch buffers handed out by sharedBuffer(): `count` of `bytes` bytes, compressed in place. */
  shared?: { count: number; bytes: number };
}

interface Job {
  readonly bytes: number;
  pages: Uint8Array;
  pageSize: number;
  /** Read the pages from this file first (compressFile). */
  file?: { fd: number; offset: number; name: string };
  kinds: Uint8Array;
  sizes: Uint32Array;
  used?: number;
  error?: Error;
  resolve(batch: CompressedBatch): void;
  reject(error: Error): void;
}

interface Buffer extends HandedBuffer {
  readonly kinds: Uint8Array;
  readonly sizes: Uint32Array;
}

const MIN_PAGE = 512;

/**
 * PageCompressorPool's contract (ordered results, backpressure by queued bytes, batch buffers
 * compressed in place) with the work on libuv's thread pool through the native addon's
 * compressBatchAsync instead of worker threads: nothing to boot per worker (each Node worker
 * costs tens of milliseconds of CPU and its own module loading) and nothing posted between
 * threads. Only where the addon is present: see `PageCompressorThreads.available`.
 */
export class PageCompressorThreads {
  readonly codec: PageCodec;
  readonly threads: number;
  readonly #addon: NativeCodecs;
  readonly #level: number;
  readonly #buffers = new BufferSet<Buffer>();
  readonly #waiting: Job[] = [];
  readonly #batches: OrderedBatches<Job>;
  #running = 0;
  #closing: Promise<void> | undefined;

  /** True when the addon can compress `codec` at `zlibLevel` on the thread pool. */
  static available(codec: PageCodec, zlibLevel = 1): boolean {
    return isZlibLevel(zlibLevel) && typeof nativeCodecs()?.compressBatchAsync === 'function' && NATIVE_CODEC_IDS[codec] !== undefined;
  }

  constructor(options: PageCompressorThreadsOptions) {
    this.codec = checkCodec(options.codec);
    const level = options.zlibLevel ?? 1;
    const addon = nativeCodecs();
    if (!addon?.compressBatchAsync || !isZlibLevel(level)) {
      throw new VmcoreError(VmcoreErrorCode.Unsupported, 'PageCompressorThreads needs @vmcore/compress-native and a zlib level 1-9');
    }
    this.#addon = addon;
    this.#level = level;
    const threads = options.threads ?? 2;
    if (!Number.isSafeInteger(threads) || threads < 1) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `threads ${threads} is not a positive integer`);
    }
    this.threads = threads;
    this.#batches = new OrderedBatches<Job>(options.maxQueuedBytes ?? 32 * 1024 * 1024);
    if (options.shared && options.shared.count > 0) {
      const { count, bytes } = options.shared;
      checkSharedBuffers(count, bytes, MIN_PAGE);
      const maxPages = Math.ceil(bytes / MIN_PAGE);
      for (let i = 0; i < count; i++) {
        this.#buffers.add({ pages: new Uint8Array(bytes), kinds: new Uint8Array(maxPages), sizes: new Uint32Array(maxPages), free: true });
      }
    }
  }

  /** A free batch buffer (`shared.bytes` long), or undefined when all are in use (or there are none). */
  sharedBuffer(): Uint8Array | undefined {
    return this.#buffers.take();
  }

  /** True when `bytes` is (a view into) one of this compressor's batch buffers. */
  isShared(bytes: Uint8Array): boolean {
    return this.#buffers.entryOf(bytes) !== undefined;
  }

  /** Gives a batch buffer back once its result has been used. Other arrays: ignored. */
  release(bytes: Uint8Array): void {
    this.#buffers.release(bytes);
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
   * Compresses n whole pages; results arrive in submission order. A batch buffer, or with
   * `transfer` a whole ArrayBuffer, is compressed in place (the result's arrays are views into
   * it); anything else is copied first.
   */
  compressBatch(pages: Uint8Array, pageSize: number, options?: CompressBatchOptions): Promise<CompressedBatch> {
    const own = this.#buffers.entryOf(pages);
    const whole = pages.byteOffset === 0 && pages.byteLength === pages.buffer.byteLength && pages.buffer instanceof ArrayBuffer;
    const inPlace = options?.transfer === true && (own ? pages.byteOffset === 0 : whole);
    return this.#submit(pages, pageSize, inPlace);
  }

  /**
   * Reads `pages.length` bytes (whole pages) of the file `fd` at `offset` into `pages`, on the
   * thread pool, and compresses them there in place: one thread-pool trip per batch, reads in
   * parallel with each other and with compression. `pages` is the caller's until the batch's
   * result has been used (a batch buffer from sharedBuffer(), or one it owns). `name` is the
   * file's, for errors: a failed read rejects with VMCORE_IO, a file that ends first with VMCORE_TRUNCATED.
   */
  compressFile(fd: number, offset: number, pages: Uint8Array, pageSize: number, name = `fd ${fd}`): Promise<CompressedBatch> {
    if (!Number.isSafeInteger(fd) || fd < 0 || !Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(new VmcoreError(VmcoreErrorCode.InvalidArgument, `compressFile: bad descriptor ${fd} or offset ${offset}`));
    }
    return this.#submit(pages, pageSize, true, { fd, offset, name });
  }

  // Queues a batch: compressed in `pages` itself when `inPlace` (its kinds and sizes in the
  // batch buffer's own arrays when it is one), else in a copy.
  #submit(pages: Uint8Array, pageSize: number, inPlace: boolean, file?: Job['file']): Promise<CompressedBatch> {
    let count: number;
    try {
      count = checkBatch(pages, pageSize);
      if (this.#closing) throw new VmcoreError(VmcoreErrorCode.InvalidArgument, 'PageCompressorThreads is closed');
    } catch (error) {
      return Promise.reject(error as Error);
    }
    const own = inPlace && pages.byteOffset === 0 ? this.#buffers.entryOf(pages) : undefined;
    return new Promise<CompressedBatch>((resolve, reject) => {
      const job: Job = {
        bytes: pages.byteLength,
        pages: inPlace ? pages : pages.slice(),
        pageSize,
        ...(file ? { file } : {}),
        kinds: own ? own.kinds.subarray(0, count) : new Uint8Array(count),
        sizes: own ? own.sizes.subarray(0, count) : new Uint32Array(count),
        resolve,
        reject,
      };
      this.#batches.add(job);
      this.#waiting.push(job);
      this.#start();
    });
  }

  /** Resolves once fewer than maxQueuedBytes submitted bytes are outstanding. */
  ready(): Promise<void> {
    return this.#batches.ready(this.#closing !== undefined);
  }

  /** Waits for every submitted batch; later submissions are rejected. */
  close(): Promise<void> {
    this.#closing ??= this.#batches.settled().then(() => this.#batches.wake());
    return this.#closing;
  }

  #start(): void {
    while (this.#running < this.threads && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#running++;
      let done: Promise<number>;
      try {
        const id = NATIVE_CODEC_IDS[this.codec];
        const { pages, pageSize, kinds, sizes, file } = job;
        done = file
          ? this.#addon.compressBatchAsync!(id, this.#level, pages, pageSize, kinds, sizes, pages, file.fd, file.offset)
          : this.#addon.compressBatchAsync!(id, this.#level, pages, pageSize, kinds, sizes, pages);
      } catch (error) {
        done = Promise.reject(error as Error);
      }
      done.then(
        (used) => this.#finish(job, used),
        (error: unknown) => this.#finish(job, undefined, error),
      );
    }
  }

  #finish(job: Job, used: number | undefined, error?: unknown): void {
    this.#running--;
    if (used === undefined) {
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: unknown } | undefined)?.code;
      job.error =
        job.file && (code === VmcoreErrorCode.Io || code === VmcoreErrorCode.Truncated)
          ? new VmcoreError(code, `${job.file.name}: ${message}`, { cause: error })
          : new VmcoreError(VmcoreErrorCode.Codec, `page compressor: ${message}`, { cause: error });
    } else {
      job.used = used;
    }
    this.#deliver();
    this.#start();
  }

  // Settles finished jobs from the head of the submission order, so results arrive in order.
  #deliver(): void {
    this.#batches.deliver(
      (job) => job.used !== undefined || job.error !== undefined,
      (job) => {
        if (job.error) job.reject(job.error);
        else job.resolve({ kinds: job.kinds, sizes: job.sizes, data: job.pages.subarray(0, job.used) });
      },
    );
  }
}
