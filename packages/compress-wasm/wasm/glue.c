// @vmcore/compress-wasm: libdeflate's zlib-format compressor and decompressor, built for
// wasm32 without a libc (FREESTANDING), with the same per-page batch rule as
// @vmcore/compress-native (QEMU's write_dump_pages: zero page, compressed only when strictly
// smaller than the page, else raw). JavaScript copies pages into the one I/O area this module
// hands out (vm_io) and reads the results from there.
#include <stddef.h>
#include <stdint.h>

#include "libdeflate.h"

enum { PAGE_ZERO = 0, PAGE_COMPRESSED = 1, PAGE_RAW = 2 };
#define MAX_LEVEL 12
#define WASM_PAGE 65536u

// Memory past the data and the stack (wasm-ld's __heap_base), handed out upwards and never
// returned except for the newest block: libdeflate allocates one compressor per level and one
// decompressor, kept for the life of the instance, and the I/O area is re-made at the top
// when it must grow. wasm-ld's --max-memory bounds the whole.
extern unsigned char __heap_base;
static uintptr_t heap_top;
static uintptr_t last_block;

static void *heap_alloc(size_t n) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + 15) & ~(uintptr_t)15;
  if (n > SIZE_MAX - p) return NULL;
  size_t have = __builtin_wasm_memory_size(0) * WASM_PAGE;
  if (p + n > have) {
    size_t more = (p + n - have + WASM_PAGE - 1) / WASM_PAGE;
    if (__builtin_wasm_memory_grow(0, more) == (size_t)-1) return NULL;
  }
  last_block = p;
  heap_top = p + n;
  return (void *)p;
}

static void heap_free(void *ptr) {
  // Only the newest block can be given back (libdeflate frees a half-made compressor that way).
  if (ptr && (uintptr_t)ptr == last_block) heap_top = last_block;
}

static struct libdeflate_compressor *deflaters[MAX_LEVEL + 1];
static struct libdeflate_decompressor *inflater;
static uint8_t *io;
static size_t io_size;

static void init(void) {
  static int done;
  if (!done) {
    libdeflate_set_memory_allocator(heap_alloc, heap_free);
    done = 1;
  }
}

static struct libdeflate_compressor *deflater(int level) {
  init();
  if (level < 1 || level > MAX_LEVEL) return NULL;
  if (!deflaters[level]) deflaters[level] = libdeflate_alloc_compressor(level);
  return deflaters[level];
}

// The I/O area: at least `size` bytes, or 0 when memory cannot grow that far. Its address can
// change between calls (it moves when a compressor was allocated above it), and memory.buffer
// is replaced whenever memory grows: callers take both afresh after every call.
__attribute__((export_name("vm_io"))) uint8_t *vm_io(size_t size) {
  init();
  if (size <= io_size) return io;
  if (io && (uintptr_t)io + io_size == heap_top) heap_top = (uintptr_t)io; // the newest block: grow in place
  uint8_t *grown = heap_alloc(size);
  if (!grown) {
    if (io) heap_top = (uintptr_t)io + io_size;
    return NULL;
  }
  // The area's contents are not kept: callers fill it after asking for it.
  io = grown;
  io_size = size;
  return io;
}

__attribute__((export_name("vm_version"))) const char *vm_version(void) { return LIBDEFLATE_VERSION_STRING; }

static int is_zero(const uint8_t *p, size_t n) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    uint64_t w[8];
    __builtin_memcpy(w, p + i, 64);
    if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) != 0) return 0;
  }
  for (; i < n; i++) acc |= p[i];
  return acc == 0;
}

// Compresses src into dst (at most `limit` bytes): the stream's length, 0 when it does not fit,
// -1 for a level libdeflate does not have or memory for its compressor.
__attribute__((export_name("vm_compress"))) long vm_compress(int level, const uint8_t *src, size_t n, uint8_t *dst, size_t limit) {
  struct libdeflate_compressor *c = deflater(level);
  if (!c) return -1;
  return (long)libdeflate_zlib_compress(c, src, n, dst, limit);
}

// The longest stream libdeflate writes for n bytes (its bound does not depend on the level).
__attribute__((export_name("vm_compress_bound"))) size_t vm_compress_bound(size_t n) {
  return libdeflate_zlib_compress_bound(NULL, n);
}

// Decodes the whole zlib stream src into dst: the bytes written, -1 for a bad stream or one
// that expands beyond `limit`, -2 for bytes after the stream, -3 without memory for the decoder.
__attribute__((export_name("vm_decompress"))) long vm_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t limit) {
  init();
  if (!inflater) inflater = libdeflate_alloc_decompressor();
  if (!inflater) return -3;
  size_t in_used = 0, out_len = 0;
  if (libdeflate_zlib_decompress_ex(inflater, src, n, dst, limit, &in_used, &out_len) != LIBDEFLATE_SUCCESS) return -1;
  if (in_used != n) return -2;
  return (long)out_len;
}

// QEMU's per-page rule over `count` pages at `pages`, in place: page i's stored bytes go to
// pages + at with at <= i * page_size, so they never overwrite a page not yet read (each page
// is compressed into `scratch`, page_size - 1 bytes, first). kinds[i] and sizes[i] as in
// @vmcore/compress-native's compressBatch. Returns the bytes stored.
__attribute__((export_name("vm_compress_batch"))) long vm_compress_batch(int level, uint8_t *pages, size_t page_size, size_t count,
                                                                         uint8_t *kinds, uint32_t *sizes, uint8_t *scratch) {
  struct libdeflate_compressor *c = deflater(level);
  size_t at = 0;
  for (size_t i = 0; i < count; i++) {
    uint8_t *page = pages + i * page_size;
    if (is_zero(page, page_size)) {
      kinds[i] = PAGE_ZERO;
      sizes[i] = 0;
      continue;
    }
    size_t got = c && page_size > 1 ? libdeflate_zlib_compress(c, page, page_size, scratch, page_size - 1) : 0;
    if (got > 0) {
      kinds[i] = PAGE_COMPRESSED;
      sizes[i] = (uint32_t)got;
      __builtin_memcpy(pages + at, scratch, got);
      at += got;
    } else {
      kinds[i] = PAGE_RAW;
      sizes[i] = (uint32_t)page_size;
      if (pages + at != page) __builtin_memmove(pages + at, page, page_size);
      at += page_size;
    }
  }
  return (long)at;
}
