/**
 * The optional WebAssembly libdeflate of @vmcore/compress-wasm: the zlib tier after the native
 * addon (addon → WebAssembly libdeflate → node:zlib → pako). In Node it is looked up once,
 * synchronously (`createRequire`: the package reads and compiles its .wasm file); anything
 * missing (a browser, a module not built, VMCORE_NO_WASM=1 in the environment, a module that
 * fails its self-check) and node:zlib or pako are used. Nothing here is imported statically,
 * so the package still bundles for browsers.
 */
import type { CompressedBatch } from './batch.js';
import type { PageCodec } from './codec.js';
import { batchThrough, isZlibLevel } from './native-batch.js';

export interface WasmZlib {
  compress(level: number, src: Uint8Array, dst: Uint8Array): number;
  decompress(src: Uint8Array, dst: Uint8Array): number;
  compressBatch(level: number, pages: Uint8Array, pageSize: number, kinds: Uint8Array, sizes: Uint32Array, out: Uint8Array): number;
  readonly libdeflateVersion: string;
}

/** Pages the module is given (kdump's are 4-64 KiB): its memory is bounded (64 MiB), node:zlib takes larger ones. */
export const WASM_MAX_PAGE = 1 << 20;

let loaded: WasmZlib | null | undefined;

interface ProcessLike {
  env?: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

/** libdeflate in WebAssembly, or undefined where it is absent or disabled (VMCORE_NO_WASM=1). */
export function wasmZlib(): WasmZlib | undefined {
  if (loaded === undefined) loaded = load();
  return loaded ?? undefined;
}

function load(): WasmZlib | null {
  const proc = (globalThis as { process?: ProcessLike }).process;
  if (!proc?.getBuiltinModule || proc.env?.VMCORE_NO_WASM === '1') return null;
  const module = proc.getBuiltinModule('node:module') as { createRequire(from: string): (id: string) => unknown } | undefined;
  if (!module) return null;
  let codecs: WasmZlib;
  try {
    codecs = module.createRequire(import.meta.url)('@vmcore/compress-wasm') as WasmZlib;
  } catch {
    return null;
  }
  return selfCheck(codecs) ? codecs : null;
}

// A zero page and a page of text-like and noise bytes through the batch and back: a module
// that does not round-trip or breaks the page rule is not used.
function selfCheck(codecs: WasmZlib): boolean {
  try {
    if (typeof codecs.compressBatch !== 'function' || typeof codecs.decompress !== 'function') return false;
    const page = new Uint8Array(4096);
    let seed = 7;
    for (let i = 0; i < page.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      page[i] = i < 3072 ? 0x41 + (i % 19) : seed >>> 24;
    }
    const pages = new Uint8Array(2 * page.length);
    pages.set(page, page.length);
    const kinds = new Uint8Array(2);
    const sizes = new Uint32Array(2);
    const out = new Uint8Array(pages.length);
    const used = codecs.compressBatch(1, pages, page.length, kinds, sizes, out);
    if (kinds[0] !== 0 || kinds[1] !== 1 || sizes[0] !== 0 || used !== sizes[1]) return false;
    const back = new Uint8Array(page.length);
    if (codecs.decompress(out.subarray(0, used), back) !== page.length) return false;
    for (let i = 0; i < page.length; i++) if (back[i] !== page[i]) return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * A batch of `count` whole zlib pages through the module: zero checks, compression and QEMU's
 * per-page rule, as nativeBatch; `inPlace` overwrites `pages` with the stored bytes.
 */
export function wasmBatch(
  wasm: WasmZlib,
  pages: Uint8Array,
  pageSize: number,
  count: number,
  level: number,
  inPlace = false,
): CompressedBatch {
  return batchThrough(pages, count, inPlace, (kinds, sizes, out) => wasm.compressBatch(level, pages, pageSize, kinds, sizes, out));
}

/** The module where it serves this job: zlib pages at levels 1-9 of at most WASM_MAX_PAGE bytes. */
export function wasmFor(codec: PageCodec, level: number, pageSize: number): WasmZlib | undefined {
  return codec === 'zlib' && isZlibLevel(level) && pageSize <= WASM_MAX_PAGE ? wasmZlib() : undefined;
}
