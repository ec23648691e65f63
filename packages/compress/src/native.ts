/**
 * The optional native fast paths of @vmcore/compress-native (libdeflate, liblzo2, libsnappy
 * in a small N-API addon). Looked up once, synchronously, with `createRequire`; anything
 * missing (a browser, no addon built, VMCORE_NO_NATIVE=1 in the environment, an addon that
 * fails its self-check) and the package's own codecs are used. Nothing here is imported
 * statically, so the package still bundles for browsers.
 */
import type { PageCodec } from './codec.js';

export interface NativeCodecs {
  compress(codec: number, level: number, src: Uint8Array, dst: Uint8Array): number;
  decompress(codec: number, src: Uint8Array, dst: Uint8Array): number;
  compressBatch(
    codec: number,
    level: number,
    pages: Uint8Array,
    pageSize: number,
    kinds: Uint8Array,
    sizes: Uint32Array,
    out: Uint8Array,
  ): number;
  /**
   * compressBatch on libuv's thread pool (older builds of the addon lack it); with `fd` and
   * `offset`, the pages are first read from the file there, on the same thread (out must be pages).
   */
  compressBatchAsync?(
    codec: number,
    level: number,
    pages: Uint8Array,
    pageSize: number,
    kinds: Uint8Array,
    sizes: Uint32Array,
    out: Uint8Array,
    fd?: number,
    offset?: number,
  ): Promise<number>;
  /** Decodes a DecodeJob's pages on libuv's thread pool (older builds of the addon lack it). */
  decodePagesAsync?(stored: Uint8Array, entries: Uint32Array, count: number, pageSize: number, out: Uint8Array): Promise<number>;
  isZero(bytes: Uint8Array): boolean;
  copyFileRange(fdIn: number, offIn: number, fdOut: number, offOut: number, length: number): number;
  /** lseek SEEK_DATA: the first offset >= `offset` holding data, -ENXIO (-6) when only a hole follows, else -errno. */
  seekData(fd: number, offset: number): number;
  /** lseek SEEK_HOLE: the first hole at or after `offset` (the end of the file at worst), or -errno. */
  seekHole(fd: number, offset: number): number;
  readonly libdeflateVersion: string;
}

/** The addon's codec numbers. */
export const NATIVE_CODEC_IDS: Readonly<Record<PageCodec, number>> = { zlib: 0, lzo: 1, snappy: 2 };

let loaded: NativeCodecs | null | undefined;

interface ProcessLike {
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

/** The native codecs, or undefined where they are absent or disabled (VMCORE_NO_NATIVE=1). */
export function nativeCodecs(): NativeCodecs | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function load(): NativeCodecs | null {
  const proc = (globalThis as { process?: ProcessLike }).process;
  if (!proc?.getBuiltinModule || proc.env?.VMCORE_NO_NATIVE === '1') return null;
  const module = proc.getBuiltinModule('node:module') as { createRequire(from: string): (id: string) => unknown } | undefined;
  if (!module) return null;
  let addon: NativeCodecs;
  try {
    addon = module.createRequire(import.meta.url)('@vmcore/compress-native') as NativeCodecs;
  } catch {
    return null;
  }
  return selfCheck(addon) ? addon : null;
}

// One page of text-like and noise bytes through every codec and back: an addon that does not
// round-trip (wrong build, ABI mismatch) is not used.
function selfCheck(addon: NativeCodecs): boolean {
  try {
    if (typeof addon.compressBatch !== 'function' || typeof addon.decompress !== 'function') return false;
    const page = new Uint8Array(4096);
    let seed = 7;
    for (let i = 0; i < page.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      page[i] = i < 3072 ? 0x41 + (i % 19) : seed >>> 24;
    }
    for (const id of Object.values(NATIVE_CODEC_IDS)) {
      const dst = new Uint8Array(page.length);
      const n = addon.compress(id, 1, page, dst);
      const back = new Uint8Array(page.length);
      if (n <= 0 || addon.decompress(id, dst.subarray(0, n), back) !== page.length) return false;
      for (let i = 0; i < page.length; i++) if (back[i] !== page[i]) return false;
    }
    return true;
  } catch {
    return false;
  }
}
