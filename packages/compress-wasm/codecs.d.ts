/** libdeflate's zlib format in WebAssembly, with @vmcore/compress-native's page rule. */
export interface LibdeflateWasm {
  /** Compresses `src` into `dst` as a zlib stream; returns the bytes written, 0 when it does not fit in `dst`, -1 for a level libdeflate lacks (1-12). */
  compress(level: number, src: Uint8Array, dst: Uint8Array): number;
  /** Decodes the whole zlib stream `src` into `dst`; returns the bytes written, -1 for a bad or too long stream, -2 for bytes after the stream. */
  decompress(src: Uint8Array, dst: Uint8Array): number;
  /**
   * QEMU's per-page rules over a batch of whole pages, as @vmcore/compress-native's
   * compressBatch for codec 0 (zlib): kinds[i] 0 zero page, 1 compressed (strictly smaller than
   * the page), 2 raw; sizes[i] the bytes page i has in `out`. Returns the bytes used in `out`
   * (which must hold pages.length bytes, and may be `pages` itself: compressed in place).
   */
  compressBatch(level: number, pages: Uint8Array, pageSize: number, kinds: Uint8Array, sizes: Uint32Array, out: Uint8Array): number;
  /** The libdeflate release the module was compiled from. */
  readonly libdeflateVersion: string;
}

/** Instantiates a compiled build/libdeflate.wasm (a `WebAssembly.Module`; it has no imports). */
export function libdeflateCodecs(wasmModule: object): LibdeflateWasm;
