'use strict';
// The JavaScript side of build/libdeflate.wasm, platform-neutral: give it the compiled module
// (Node: index.cjs reads the file; a browser would compile it from a fetch). Pages are copied
// into the module's one I/O area and the results copied out, up to CHUNK_BYTES of pages per
// call, so the module's memory stays about 2 MiB above libdeflate's own state.
const CHUNK_BYTES = 1 << 20;

function codecError(message) {
  const error = new Error(message);
  error.code = 'VMCORE_CODEC';
  return error;
}

function isBytes(value) {
  return value instanceof Uint8Array;
}

function libdeflateCodecs(wasmModule) {
  const { exports } = new WebAssembly.Instance(wasmModule, {});
  const { memory } = exports;

  // The I/O area for `size` bytes. Its address and memory.buffer can change on any call into
  // the module, so both are taken afresh after each one.
  function area(size) {
    const at = exports.vm_io(size);
    if (at === 0) throw codecError(`@vmcore/compress-wasm: ${size} bytes do not fit in the module's memory`);
    return at;
  }

  function compress(level, src, dst) {
    if (!Number.isInteger(level) || !isBytes(src) || !isBytes(dst)) {
      throw codecError('compress(level, src: Uint8Array, dst: Uint8Array)');
    }
    // dst beyond libdeflate's bound is not needed: the I/O area stays src's size and a bit.
    const limit = Math.min(dst.length, exports.vm_compress_bound(src.length));
    const io = area(src.length + limit);
    new Uint8Array(memory.buffer).set(src, io);
    const n = exports.vm_compress(level, io, src.length, io + src.length, limit);
    if (n > 0) dst.set(new Uint8Array(memory.buffer, io + src.length, n));
    return n;
  }

  function decompress(src, dst) {
    if (!isBytes(src) || !isBytes(dst)) throw codecError('decompress(src: Uint8Array, dst: Uint8Array)');
    const io = area(src.length + dst.length);
    new Uint8Array(memory.buffer).set(src, io);
    const n = exports.vm_decompress(io, src.length, io + src.length, dst.length);
    if (n === -3) throw codecError("@vmcore/compress-wasm: no memory for libdeflate's decompressor");
    if (n > 0) dst.set(new Uint8Array(memory.buffer, io + src.length, n));
    return n;
  }

  function compressBatch(level, pages, pageSize, kinds, sizes, out) {
    if (
      !Number.isInteger(level) ||
      !isBytes(pages) ||
      !Number.isInteger(pageSize) ||
      !isBytes(kinds) ||
      !(sizes instanceof Uint32Array) ||
      !isBytes(out)
    ) {
      throw codecError('compressBatch(level, pages, pageSize, kinds, sizes, out)');
    }
    if (pageSize <= 0 || pages.length % pageSize !== 0) {
      throw codecError('compressBatch: pages is not a whole number of pages');
    }
    const count = pages.length / pageSize;
    if (kinds.length < count || sizes.length < count || out.length < pages.length) {
      throw codecError('compressBatch: kinds, sizes or out is too small for the batch');
    }
    // In place (out is pages) is safe: a chunk is copied into the module before any of its
    // stored bytes are written back, at or before the chunk's own start.
    const inPlace = out.buffer === pages.buffer && out.byteOffset === pages.byteOffset;
    if (
      !inPlace &&
      out.buffer === pages.buffer &&
      out.byteOffset < pages.byteOffset + pages.length &&
      pages.byteOffset < out.byteOffset + out.length
    ) {
      throw codecError('compressBatch: out overlaps pages without being pages');
    }
    const chunkPages = Math.max(1, Math.floor(CHUNK_BYTES / pageSize));
    const chunkBytes = chunkPages * pageSize;
    // [pages of a chunk][scratch: one page][sizes: u32 each][kinds: u8 each]
    const sizesAt = (chunkBytes + pageSize + 3) & ~3;
    const kindsAt = sizesAt + 4 * chunkPages;
    let at = 0;
    for (let first = 0; first < count; first += chunkPages) {
      const n = Math.min(chunkPages, count - first);
      const io = area(kindsAt + chunkPages);
      new Uint8Array(memory.buffer).set(pages.subarray(first * pageSize, (first + n) * pageSize), io);
      const used = exports.vm_compress_batch(level, io, pageSize, n, io + kindsAt, io + sizesAt, io + chunkBytes);
      const bytes = new Uint8Array(memory.buffer);
      out.set(bytes.subarray(io, io + used), at);
      kinds.set(bytes.subarray(io + kindsAt, io + kindsAt + n), first);
      sizes.set(new Uint32Array(memory.buffer, io + sizesAt, n), first);
      at += used;
    }
    return at;
  }

  const version = (() => {
    const bytes = new Uint8Array(memory.buffer);
    let end = exports.vm_version();
    const start = end;
    while (bytes[end] !== 0) end++;
    return String.fromCharCode(...bytes.subarray(start, end));
  })();

  return { compress, decompress, compressBatch, libdeflateVersion: version };
}

module.exports = { libdeflateCodecs };
