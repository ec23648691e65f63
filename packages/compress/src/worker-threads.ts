/**
 * The slice of node:worker_threads and node:os the pool uses, looked up at run time with
 * process.getBuiltinModule (Node >= 20.16) rather than imported, so this package loads (and
 * type-checks with `"types": []`) where Node is absent; there the lookups give undefined.
 */
export interface PoolWorker {
  on(event: 'message', listener: (value: any) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  terminate(): Promise<number>;
  ref(): void;
  unref(): void;
}

export interface WorkerPort {
  on(event: 'message', listener: (value: any) => void): unknown;
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
}

export interface WorkerThreads {
  readonly Worker: new (url: URL) => PoolWorker;
  readonly parentPort: WorkerPort | null;
}

export interface NodeOs {
  availableParallelism(): number;
}

function builtin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

export const workerThreads = (): WorkerThreads | undefined => builtin<WorkerThreads>('node:worker_threads');
export const nodeOs = (): NodeOs | undefined => builtin<NodeOs>('node:os');
