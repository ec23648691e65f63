/**
 * One reusable zlib deflate stream for many pages, as QEMU gets from compress2 without a fresh
 * stream object per page: `deflateSync` builds a Transform stream and a native z_stream
 * (deflateInit) for every 4 KiB page, ~10 % of the deflate time. Here one node:zlib Deflate's
 * native handle compresses each page with Z_FINISH straight into the caller's buffer and is
 * reset (deflateReset: the same state as a fresh deflateInit, so the same bytes).
 *
 * The handle methods are node:zlib internals (what zlib's own sync API calls). They are
 * feature-checked, and the engine checks itself against deflateSync once; anything unexpected
 * and callers fall back to deflateSync. Browsers (no node:zlib) never get here.
 */

interface ZlibHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}

interface DeflateInternals {
  on(event: 'error', listener: () => void): unknown;
  _handle?: ZlibHandle | null;
  _writeState?: Uint32Array;
  destroyed?: boolean;
}

interface NodeZlibModule {
  Deflate: new (options: { level: number }) => DeflateInternals;
  deflateSync(data: Uint8Array, options: { level: number }): Uint8Array;
  constants: { Z_FINISH: number };
}

/** Deflates whole pages into a caller's buffer with one reused stream. */
export interface PageDeflater {
  /**
   * zlib stream (compress2 format) of `input` into `out`; returns its length when it is
   * strictly shorter than `out`, else -1 (then `out` holds garbage).
   */
  deflateInto(input: Uint8Array, out: Uint8Array): number;
}

const engines = new Map<number, PageDeflater | null>();

/** The reusable deflater for zlib `level` in Node, or undefined (browsers, unexpected node:zlib). */
export function pageDeflater(level: number): PageDeflater | undefined {
  let engine = engines.get(level);
  if (engine === undefined) {
    engine = createEngine(level);
    engines.set(level, engine);
  }
  return engine ?? undefined;
}

function loadZlib(): NodeZlibModule | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:zlib') as NodeZlibModule | undefined;
}

function createEngine(level: number): PageDeflater | null {
  const zlib = loadZlib();
  if (!zlib) return null;
  const finish = zlib.constants.Z_FINISH;
  let stream: DeflateInternals;
  let handle: ZlibHandle;
  let state: Uint32Array;
  const open = (): boolean => {
    try {
      stream = new zlib.Deflate({ level });
      // A failed write destroys the stream and emits 'error' later; deflateInto reports it.
      stream.on('error', () => undefined);
    } catch {
      return false;
    }
    const h = stream._handle;
    if (!h || typeof h.writeSync !== 'function' || typeof h.reset !== 'function' || !(stream._writeState instanceof Uint32Array))
      return false;
    handle = h;
    state = stream._writeState;
    return true;
  };
  if (!open()) return null;

  const engine: PageDeflater = {
    deflateInto(input, out) {
      handle.writeSync(finish, input, 0, input.length, out, 0, out.length);
      // _writeState = [avail_out, avail_in] after the call; an error destroys the stream.
      const availOut = state[0]!;
      const availIn = state[1]!;
      const failed = stream.destroyed === true;
      if (failed) {
        if (!open()) throw new Error('zlib: cannot reopen the deflate stream');
        throw new Error('zlib: deflate failed');
      }
      handle.reset();
      // Output filled up (finished or not): the stream is at least out.length bytes.
      if (availOut === 0 || availIn !== 0) return -1;
      return out.length - availOut;
    },
  };

  // Self-check against deflateSync on a page of text-like and random bytes: any difference
  // in the internals' behaviour disables the engine rather than changing output bytes.
  const sample = new Uint8Array(4096);
  let seed = 1;
  for (let i = 0; i < sample.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    sample[i] = i < 2048 ? 0x41 + (i % 23) : seed >>> 24;
  }
  try {
    const expected = zlib.deflateSync(sample, { level });
    const out = new Uint8Array(sample.length);
    for (let round = 0; round < 2; round++) {
      const n = engine.deflateInto(sample, out);
      if (n !== expected.length || !sameBytes(out.subarray(0, n), expected)) return null;
    }
    if (engine.deflateInto(sample, new Uint8Array(16)) !== -1) return null;
    const n = engine.deflateInto(sample, out);
    if (n !== expected.length || !sameBytes(out.subarray(0, n), expected)) return null;
  } catch {
    return null;
  }
  return engine;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
