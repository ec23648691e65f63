import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { BufferSet, checkSharedBuffers } from './buffer-set.js';
import { slotBytes, slotViews, type PoolInit } from './pool-protocol.js';
import { nodeOs, workerThreads, type PoolWorker } from './worker-threads.js';

/** Worker threads a pool starts when not told: the cores but one (left to the calling thread), 1 to 4. */
export function defaultPoolWorkers(): number {
  const cores = nodeOs()?.availableParallelism() ?? 1;
  return Math.max(1, Math.min(4, cores - 1));
}

/** A shared buffer as both threads see it (pool-protocol's slotViews), and whether it is handed out. */
export type SharedSlot = ReturnType<typeof slotViews> & { readonly index: number; free: boolean };

/** A job for a worker: `request` is posted (its `transfer` buffers moved), and the answer carries `id`. */
export interface SlotJob {
  readonly id: number;
  readonly request: unknown;
  readonly transfer: readonly ArrayBuffer[];
}

export interface WorkerSlotsOptions<J extends SlotJob, R extends { id: number }> {
  /** The pool's name, for errors ('PageDecoderPool'). */
  readonly pool: string;
  /** What to use where worker threads are absent, for the error. */
  readonly instead: string;
  /** Its workers, for failures ('page decoder worker'). */
  readonly worker: string;
  readonly workers?: number | undefined;
  readonly workerUrl?: URL | undefined;
  readonly shared?: { count: number; bytes: number } | undefined;
  /** Shared buffers also hold the kinds and sizes of pages of this size or larger (PageCompressorPool's results). */
  readonly sharedMinPage?: number;
  /** A worker's answer to `job` (the worker is free again). */
  readonly answered: (job: J, response: R) => void;
  /** The pool failed: `error` for every job still pending (`jobs`: queued or in a worker). */
  readonly failed: (error: VmcoreError, jobs: J[]) => void;
}

interface Slot<J> {
  readonly worker: PoolWorker;
  job: J | undefined;
}

/**
 * The workers of a pool, one job at a time each: start-up, the shared buffers every worker holds,
 * dispatch in submission order, and failure. A worker is referenced only while it has a job, so an
 * idle pool does not keep the process alive; once the pool stops, its workers stay referenced until
 * they have exited, so that awaiting stop() always ends.
 */
export class WorkerSlots<J extends SlotJob, R extends { id: number }> {
  readonly workers: number;
  readonly #slots: Array<Slot<J>> = [];
  readonly #waiting: J[] = [];
  readonly #shared = new BufferSet<SharedSlot>();
  readonly #worker: string;
  readonly #answered: (job: J, response: R) => void;
  readonly #failed: (error: VmcoreError, jobs: J[]) => void;
  #nextId = 1;
  #failure: VmcoreError | undefined;
  #exited: Promise<void> | undefined;

  constructor(options: WorkerSlotsOptions<J, R>) {
    const threads = workerThreads();
    if (!threads || !nodeOs()) {
      throw new VmcoreError(
        VmcoreErrorCode.Unsupported,
        `${options.pool} needs node:worker_threads; ${options.instead} where it is absent`,
      );
    }
    const workers = options.workers ?? defaultPoolWorkers();
    if (!Number.isSafeInteger(workers) || workers < 1) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `workers ${workers} is not a positive integer`);
    }
    this.workers = workers;
    this.#worker = options.worker;
    this.#answered = options.answered;
    this.#failed = options.failed;
    const init = this.#sharedInit(options.shared, options.sharedMinPage);
    const url = options.workerUrl ?? new URL('./pool-worker.js', import.meta.url);
    for (let i = 0; i < workers; i++) {
      const slot: Slot<J> = { worker: new threads.Worker(url), job: undefined };
      slot.worker.on('message', (response: R) => this.#onMessage(slot, response));
      slot.worker.on('error', (error) => this.#fail(error));
      slot.worker.on('exit', (code) => this.#fail(new Error(`worker exited with code ${code}`)));
      slot.worker.unref();
      if (init) slot.worker.postMessage(init);
      this.#slots.push(slot);
    }
  }

  #sharedInit(shared: WorkerSlotsOptions<J, R>['shared'], minPage: number | undefined): PoolInit | undefined {
    if (!shared || shared.count <= 0 || typeof SharedArrayBuffer !== 'function') return undefined;
    const { count, bytes } = shared;
    checkSharedBuffers(count, bytes, minPage ?? 1);
    const maxPages = minPage ? Math.ceil(bytes / minPage) : 0;
    const init: PoolInit = { init: [], batchBytes: bytes, maxPages };
    for (let index = 0; index < count; index++) {
      const buffer = new SharedArrayBuffer(slotBytes(bytes, maxPages));
      init.init.push(buffer);
      this.#shared.add({ ...slotViews(buffer, bytes, maxPages), index, free: true });
    }
    return init;
  }

  /** Why the pool failed, once it has. */
  get failure(): VmcoreError | undefined {
    return this.#failure;
  }

  nextId(): number {
    return this.#nextId++;
  }

  /** A free shared buffer (now in use), or undefined: none free, or the pool has none. */
  sharedBuffer(): Uint8Array | undefined {
    return this.#shared.take();
  }

  /** The shared buffer `bytes` is (a view of), or undefined. */
  sharedSlot(bytes: Uint8Array): SharedSlot | undefined {
    return this.#shared.entryOf(bytes);
  }

  /** Gives back a shared buffer; other arrays are ignored. */
  release(bytes: Uint8Array): void {
    this.#shared.release(bytes);
  }

  /** Queues `job` for the first free worker. */
  submit(job: J): void {
    this.#waiting.push(job);
    this.#dispatch();
  }

  /**
   * Stops every worker; `exited` resolves when all have exited. Returns the jobs still queued or in
   * a worker, unsettled: their answers are not awaited (a late one is dropped).
   */
  stop(): { jobs: J[]; exited: Promise<void> } {
    const jobs = [...this.#waiting.splice(0), ...this.#slots.flatMap((slot) => (slot.job ? [slot.job] : []))];
    for (const slot of this.#slots) slot.job = undefined;
    // terminate() references the worker until its 'exit' event; nothing here unreferences it again.
    this.#exited ??= Promise.all(this.#slots.map((slot) => slot.worker.terminate())).then(() => undefined);
    return { jobs, exited: this.#exited };
  }

  #dispatch(): void {
    if (this.#exited) return;
    for (const slot of this.#slots) {
      if (this.#waiting.length === 0) return;
      if (slot.job) continue;
      const job = this.#waiting.shift()!;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.request, job.transfer);
    }
  }

  #onMessage(slot: Slot<J>, response: R): void {
    // An answer posted before the pool stopped, to a job already settled: the worker must stay
    // referenced until it exits, or stop()'s `exited` may never resolve (the loop empties first).
    if (this.#exited) return;
    const job = slot.job;
    if (!job || job.id !== response.id) {
      this.#fail(new Error(`worker answered job ${response.id}, expected ${job?.id}`));
      return;
    }
    slot.job = undefined;
    slot.worker.unref();
    this.#answered(job, response);
    this.#dispatch();
  }

  #fail(cause: unknown): void {
    if (this.#exited) return;
    const message = cause instanceof Error ? cause.message : String(cause);
    this.#failure = new VmcoreError(VmcoreErrorCode.Codec, `${this.#worker} failed: ${message}`, { cause });
    const { jobs } = this.stop();
    this.#failed(this.#failure, jobs);
  }
}
