import { checkCodec, checkPageSize, codecError, type PageCodec } from './codec.js';
import { lzo1xCompress } from './lzo1x-compress.js';
import { lzo1xDecompress } from './lzo1x-decompress.js';
import { NATIVE_CODEC_IDS, nativeCodecs } from './native.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { WASM_MAX_PAGE, wasmZlib } from './wasm.js';
import { defaultZlib, type ZlibBackend } from './zlib.js';

export interface CodecOptions {
  /** zlib implementation; default node:zlib in Node, pako elsewhere. */
  zlib?: ZlibBackend;
  /** zlib level 1-9; default 1 (QEMU's Z_BEST_SPEED). Higher levels make smaller files every reader decodes. */
  zlibLevel?: number;
  /**
   * Use @vmcore/compress-native (libdeflate, liblzo2, libsnappy) where it is installed and built,
   * else, for zlib, @vmcore/compress-wasm (libdeflate in WebAssembly) (default true;
   * VMCORE_NO_NATIVE=1 / VMCORE_NO_WASM=1 in the environment disable them everywhere); `false`
   * keeps the package's own codecs. Only when no `zlib` backend is given. Their zlib streams are
   * libdeflate's: other bytes than zlib's, the same pages for every reader.
   */
  native?: boolean;
}

/** A page as the kdump writer stores it: compressed, or the page itself when compression does not pay. */
export interface StoredPage {
  stored: 'compressed' | 'raw';
  bytes: Uint8Array;
}

/** Compresses with `codec`, whatever the result's size. */
export function compressWith(codec: PageCodec, data: Uint8Array, options?: CodecOptions): Uint8Array {
  switch (checkCodec(codec)) {
    case 'zlib':
      return (options?.zlib ?? defaultZlib()).compress(data, options?.zlibLevel);
    case 'lzo':
      return lzo1xCompress(data);
    case 'snappy':
      return snappyCompress(data);
  }
}

/**
 * QEMU's write_dump_pages rule: a page is stored compressed only when the codec succeeds and
 * the result is strictly smaller than the page; otherwise the page itself (`bytes` is `page`).
 */
export function compressPage(codec: PageCodec, page: Uint8Array, options?: CodecOptions): StoredPage {
  checkCodec(codec);
  let bytes: Uint8Array;
  try {
    bytes = compressWith(codec, page, options);
  } catch {
    // QEMU falls back to a raw page when compress2 / lzo1x_1_compress / snappy_compress fail.
    return { stored: 'raw', bytes: page };
  }
  return bytes.length < page.length ? { stored: 'compressed', bytes } : { stored: 'raw', bytes: page };
}

/**
 * Decodes one compressed page of a kdump file. The result must be exactly `pageSize` bytes
 * (as makedumpfile and crash require); anything else throws VMCORE_CODEC. Never allocates
 * more than `pageSize` bytes for the output.
 */
export function decompressPage(codec: PageCodec, data: Uint8Array, pageSize: number, options?: CodecOptions): Uint8Array {
  checkPageSize(pageSize);
  checkCodec(codec);
  const compiled = options?.native !== false && options?.zlib === undefined;
  const native = compiled ? nativeCodecs() : undefined;
  // libdeflate in WebAssembly inflates a 4 KiB page in about half of node:zlib's time.
  const wasm =
    compiled && !native && codec === 'zlib' && pageSize <= WASM_MAX_PAGE && data.length <= WASM_MAX_PAGE ? wasmZlib() : undefined;
  if (native || wasm) {
    // Only a stream that decodes to exactly one page is taken from the addon or the module;
    // anything else is decoded again below, so errors (and any leniency) are the TypeScript decoders' own.
    const page = new Uint8Array(pageSize);
    const got = native ? native.decompress(NATIVE_CODEC_IDS[codec], data, page) : wasm!.decompress(data, page);
    if (got === pageSize) return page;
  }
  let page: Uint8Array;
  switch (codec) {
    case 'zlib':
      page = (options?.zlib ?? defaultZlib()).decompress(data, pageSize);
      break;
    case 'lzo':
      page = lzo1xDecompress(data, pageSize);
      break;
    case 'snappy':
      page = snappyDecompress(data, pageSize);
      break;
  }
  if (page.length !== pageSize) {
    throw codecError(codec, `page decodes to ${page.length} bytes, expected ${pageSize}`);
  }
  return page;
}
