import { Inflate, deflate } from 'pako';
import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { codecError } from './codec.js';

/**
 * A zlib implementation: `compress` yields what QEMU's `compress2(..., Z_BEST_SPEED)` yields
 * (zlib header, deflate level 1, adler32); `decompress` never returns more than `maxOutput`
 * bytes and throws VMCORE_CODEC on a bad stream.
 */
export interface ZlibBackend {
  readonly name: 'node' | 'pako';
  /** `level` 1-9; default 1, QEMU's Z_BEST_SPEED. */
  compress(data: Uint8Array, level?: number): Uint8Array;
  decompress(data: Uint8Array, maxOutput: number): Uint8Array;
}

/** The pure-JS backend: works everywhere (browsers), 2-3x slower than node:zlib on 4 KiB pages. */
export const pakoZlib: ZlibBackend = {
  name: 'pako',
  compress: (data, level = 1) => deflate(data, { level: checkZlibLevel(level) }),
  decompress(data, maxOutput) {
    // windowBits 15 given explicitly: zlib format only (pako would otherwise also accept gzip).
    // chunkSize maxOutput + 1: one chunk holds any valid page, and one byte more proves an
    // overrun; capped so a huge limit does not mean a huge first allocation.
    const inflater = new Inflate({ windowBits: 15, chunkSize: Math.min(maxOutput + 1, 0x10000) });
    const chunks: Uint8Array[] = [];
    let total = 0;
    inflater.onData = (chunk) => {
      total += chunk.length;
      if (total > maxOutput) throw codecError('zlib', `stream expands beyond ${maxOutput} bytes`);
      chunks.push(chunk);
    };
    inflater.push(data, true);
    if (inflater.err !== 0 || !inflater.ended) {
      throw codecError('zlib', `bad stream of ${data.length} bytes (${inflater.msg || 'truncated'})`);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  },
};

interface NodeZlibModule {
  deflateSync(data: Uint8Array, options: { level: number }): Uint8Array;
  inflateSync(data: Uint8Array, options: { maxOutputLength: number; chunkSize: number }): Uint8Array;
}

let nodeBackend: ZlibBackend | null | undefined;

/**
 * The node:zlib backend, or undefined where node:zlib is absent. Looked up with
 * `process.getBuiltinModule` (Node >= 20.16) so the module has no static Node import
 * and bundles for browsers unchanged.
 */
export function nodeZlib(): ZlibBackend | undefined {
  if (nodeBackend === undefined) nodeBackend = loadNodeZlib();
  return nodeBackend ?? undefined;
}

function loadNodeZlib(): ZlibBackend | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const zlib = proc?.getBuiltinModule?.('node:zlib') as NodeZlibModule | undefined;
  if (!zlib) return null;
  return {
    name: 'node',
    compress: (data, level = 1) => asPlain(zlib.deflateSync(data, { level: checkZlibLevel(level) })),
    decompress(data, maxOutput) {
      try {
        // maxOutputLength makes zlib stop (and throw) instead of growing past the page.
        const chunkSize = Math.min(Math.max(64, maxOutput), 0x10000);
        return asPlain(zlib.inflateSync(data, { maxOutputLength: maxOutput, chunkSize }));
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const what =
          code === 'ERR_BUFFER_TOO_LARGE'
            ? `stream expands beyond ${maxOutput} bytes`
            : `bad stream of ${data.length} bytes (${(error as Error).message})`;
        throw codecError('zlib', what, error);
      }
    },
  };
}

/** zlib levels 1-9 (0 would store, which the page rule turns into raw pages anyway). */
export function checkZlibLevel(level: number): 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 {
  if (!Number.isInteger(level) || level < 1 || level > 9) {
    throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `zlib level ${level} is not an integer from 1 to 9`);
  }
  return level as 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

function asPlain(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** node:zlib in Node, pako elsewhere. */
export function defaultZlib(): ZlibBackend {
  return nodeZlib() ?? pakoZlib;
}

/** compress2(level 1) of `data`. */
export function zlibCompress(data: Uint8Array, backend: ZlibBackend = defaultZlib()): Uint8Array {
  return backend.compress(data);
}

/** Inflates a zlib stream into at most `maxOutput` bytes; throws VMCORE_CODEC otherwise. */
export function zlibDecompress(data: Uint8Array, maxOutput: number, backend: ZlibBackend = defaultZlib()): Uint8Array {
  return backend.decompress(data, maxOutput);
}
