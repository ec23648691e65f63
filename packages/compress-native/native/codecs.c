// @vmcore/compress-native: kdump page codecs through the system libraries (libdeflate for the
// zlib format, liblzo2's LZO1X-1, libsnappy), and a whole-batch compressor with QEMU's
// per-page rules (zero page, compressed only when strictly smaller, else raw). Plain N-API (C),
// one state per Node environment (main thread and each worker thread get their own).
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>


#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

enum { CODEC_ZLIB = 0, CODEC_LZO = 1, CODEC_SNAPPY = 2 };
enum { PAGE_ZERO = 0, PAGE_COMPRESSED = 1, PAGE_RAW = 2 };
#define MAX_LEVEL 12

typedef struct {
  struct libdeflate_compressor *deflaters[MAX_LEVEL + 1];
  struct libdeflate_decompressor *inflater;
  void *lzo_work;
  uint8_t *scratch; // a codec's output before it is known to fit
  size_t scratch_size;
  uint8_t *page_out; // a page's stored bytes when a batch is compressed in place
  size_t page_out_size;
} State;

static void free_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  State *s = data;
  for (int i = 0; i <= MAX_LEVEL; i++)
    if (s->deflaters[i]) libdeflate_free_compressor(s->deflaters[i]);
  if (s->inflater) libdeflate_free_decompressor(s->inflater);
  free(s->lzo_work);
  free(s->scratch);
  free(s->page_out);
  free(s);
}

static State *state_of(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "VMCORE_CODEC", message);
  return NULL;
}

static int get_bytes(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  size_t count;
  void *base;
  napi_value buffer;
  size_t offset;
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, value, &type, &count, &base, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array && type != napi_uint8_clamped_array) return 0;
  *data = base;
  *length = count;
  return 1;
}

static int get_u32array(napi_env env, napi_value value, uint32_t **data, size_t *length) {
  napi_typedarray_type type;
  size_t count;
  void *base;
  napi_value buffer;
  size_t offset;
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, value, &type, &count, &base, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_uint32_array) return 0;
  *data = base;
  *length = count;
  return 1;
}

static napi_value number(napi_env env, double value) {
  napi_value out;
  napi_create_double(env, value, &out);
  return out;
}

static struct libdeflate_compressor *deflater(State *s, int level) {
  if (level < 1 || level > MAX_LEVEL) return NULL;
  if (!s->deflaters[level]) s->deflaters[level] = libdeflate_alloc_compressor(level);
  return s->deflaters[level];
}

static uint8_t *grow(uint8_t **buffer, size_t *have, size_t size) {
  if (*have < size) {
    uint8_t *grown = realloc(*buffer, size);
    if (!grown) return NULL;
    *buffer = grown;
    *have = size;
  }
  return *buffer;
}

static uint8_t *scratch(State *s, size_t size) { return grow(&s->scratch, &s->scratch_size, size); }

// Compresses src into dst (at most `limit` bytes). Returns the compressed length, 0 when it
// does not fit in `limit` bytes, -1 on a codec failure (QEMU stores such pages raw too).
static long compress_one(State *s, int codec, int level, const uint8_t *src, size_t n, uint8_t *dst, size_t limit) {
  switch (codec) {
    case CODEC_ZLIB: {
      struct libdeflate_compressor *c = deflater(s, level);
      if (!c) return -1;
      return (long)libdeflate_zlib_compress(c, src, n, dst, limit);
    }
    case CODEC_LZO: {
      size_t bound = n + n / 16 + 64 + 3;
      uint8_t *tmp = scratch(s, bound);
      lzo_uint out_len = bound;
      if (!tmp || !s->lzo_work) return -1;
      if (lzo1x_1_compress(src, n, tmp, &out_len, s->lzo_work) != LZO_E_OK) return -1;
      if (out_len > limit) return 0;
      memcpy(dst, tmp, out_len);
      return (long)out_len;
    }
    case CODEC_SNAPPY: {
      size_t bound = snappy_max_compressed_length(n);
      uint8_t *tmp = scratch(s, bound);
      size_t out_len = bound;
      if (!tmp) return -1;
      if (snappy_compress((const char *)src, n, (char *)tmp, &out_len) != SNAPPY_OK) return -1;
      if (out_len > limit) return 0;
      memcpy(dst, tmp, out_len);
      return (long)out_len;
    }
  }
  return -1;
}

static int is_zero(const uint8_t *p, size_t n) {
  size_t i = 0;
  uint64_t acc = 0;
  for (; i + 64 <= n; i += 64) {
    uint64_t w[8];
    memcpy(w, p + i, 64);
    if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) != 0) return 0;
  }
  for (; i < n; i++) acc |= p[i];
  return acc == 0;
}

// compress(codec, level, src, dst) -> bytes written to dst, 0 if it does not fit, -1 on failure.
static napi_value js_compress(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t codec, level;
  uint8_t *src, *dst;
  size_t n, limit;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4 || napi_get_value_int32(env, argv[0], &codec) != napi_ok ||
      napi_get_value_int32(env, argv[1], &level) != napi_ok || !get_bytes(env, argv[2], &src, &n) ||
      !get_bytes(env, argv[3], &dst, &limit))
    return throw_error(env, "compress(codec, level, src: Uint8Array, dst: Uint8Array)");
  return number(env, (double)compress_one(state_of(env), codec, level, src, n, dst, limit));
}

// Decodes the whole stream src into dst: bytes written, -1 for a bad stream or one that expands
// beyond dst, -2 for bytes after the stream.
static long decompress_one(State *s, int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t limit) {
  switch (codec) {
    case CODEC_ZLIB: {
      size_t in_used = 0, out_len = 0;
      if (!s->inflater) s->inflater = libdeflate_alloc_decompressor();
      if (!s->inflater) return -1;
      if (libdeflate_zlib_decompress_ex(s->inflater, src, n, dst, limit, &in_used, &out_len) != LIBDEFLATE_SUCCESS) return -1;
      // Bytes after the stream: reported to the caller as a distinct result.
      if (in_used != n) return -2;
      return (long)out_len;
    }
    case CODEC_LZO: {
      lzo_uint out_len = limit;
      int r = lzo1x_decompress_safe(src, n, dst, &out_len, NULL);
      if (r != LZO_E_OK) return r == LZO_E_INPUT_NOT_CONSUMED ? -2 : -1;
      return (long)out_len;
    }
    case CODEC_SNAPPY: {
      size_t out_len = 0;
      if (snappy_uncompressed_length((const char *)src, n, &out_len) != SNAPPY_OK || out_len > limit) return -1;
      if (snappy_uncompress((const char *)src, n, (char *)dst, &out_len) != SNAPPY_OK) return -1;
      return (long)out_len;
    }
  }
  return -1;
}

// decompress(codec, src, dst) -> bytes written (the whole stream decoded into dst), or -1 for a
// bad stream or one that expands beyond dst, -2 for bytes after it.
static napi_value js_decompress(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t codec;
  uint8_t *src, *dst;
  size_t n, limit;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3 || napi_get_value_int32(env, argv[0], &codec) != napi_ok || !get_bytes(env, argv[1], &src, &n) ||
      !get_bytes(env, argv[2], &dst, &limit))
    return throw_error(env, "decompress(codec, src: Uint8Array, dst: Uint8Array)");
  return number(env, (double)decompress_one(state_of(env), codec, src, n, dst, limit));
}

// QEMU's per-page rules over `count` pages into out (see js_compress_batch). Returns the bytes
// used in out, or -1 when memory for one page's scratch cannot be had.
static long compress_pages(State *s, int codec, int level, const uint8_t *pages, uint32_t page_size, size_t count,
                           uint8_t *kinds, uint32_t *sizes, uint8_t *out) {
  // In place (out is pages): page i's stored bytes go to out + at with at <= i * page_size,
  // so they never overwrite a page not yet read; each page is compressed into scratch first.
  int in_place = out == pages;
  uint8_t *page_out = in_place ? grow(&s->page_out, &s->page_out_size, page_size) : out;
  if (!page_out) return -1;
  size_t at = 0;
  for (size_t i = 0; i < count; i++) {
    const uint8_t *page = pages + i * page_size;
    if (is_zero(page, page_size)) {
      kinds[i] = PAGE_ZERO;
      sizes[i] = 0;
      continue;
    }
    long got = compress_one(s, codec, level, page, page_size, in_place ? page_out : out + at, page_size - 1);
    if (got > 0 && (size_t)got < page_size) {
      kinds[i] = PAGE_COMPRESSED;
      sizes[i] = (uint32_t)got;
      if (in_place) memcpy(out + at, page_out, (size_t)got);
      at += (size_t)got;
    } else {
      kinds[i] = PAGE_RAW;
      sizes[i] = page_size;
      if (out + at != page) memmove(out + at, page, page_size);
      at += page_size;
    }
  }
  return (long)at;
}

typedef struct {
  int32_t codec, level;
  uint32_t page_size;
  uint8_t *pages, *kinds, *out;
  uint32_t *sizes;
  size_t count;
} BatchArgs;

// Reads and checks compressBatch's arguments; a message on failure, NULL when they are good.
static const char *batch_args(napi_env env, napi_value *argv, BatchArgs *a) {
  size_t n, kinds_len, sizes_len, out_len;
  if (napi_get_value_int32(env, argv[0], &a->codec) != napi_ok || napi_get_value_int32(env, argv[1], &a->level) != napi_ok ||
      !get_bytes(env, argv[2], &a->pages, &n) || napi_get_value_uint32(env, argv[3], &a->page_size) != napi_ok ||
      !get_bytes(env, argv[4], &a->kinds, &kinds_len) || !get_u32array(env, argv[5], &a->sizes, &sizes_len) ||
      !get_bytes(env, argv[6], &a->out, &out_len))
    return "compressBatch(codec, level, pages, pageSize, kinds, sizes, out)";
  if (a->codec < CODEC_ZLIB || a->codec > CODEC_SNAPPY) return "compressBatch: unknown codec";
  if (a->page_size == 0 || n % a->page_size != 0) return "compressBatch: pages is not a whole number of pages";
  a->count = n / a->page_size;
  if (kinds_len < a->count || sizes_len < a->count || out_len < n) return "compressBatch: kinds, sizes or out is too small for the batch";
  if (a->out != a->pages && a->out < a->pages + n && a->pages < a->out + out_len)
    return "compressBatch: out overlaps pages without being pages";
  return NULL;
}

// compressBatch(codec, level, pages, pageSize, kinds, sizes, out) -> bytes used in out.
// QEMU's write_dump_pages rules per page: all-zero pages are PAGE_ZERO (size 0), a page is
// PAGE_COMPRESSED when the codec's output is strictly smaller than the page, else PAGE_RAW.
// `out` must hold pages.length bytes (stored pages are never larger than the page); it may be
// `pages` itself (compressed in place), but must not otherwise overlap it.
static napi_value js_compress_batch(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  BatchArgs a;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *bad = argc < 7 ? "compressBatch(codec, level, pages, pageSize, kinds, sizes, out)" : batch_args(env, argv, &a);
  if (bad) return throw_error(env, bad);
  long at = compress_pages(state_of(env), a.codec, a.level, a.pages, a.page_size, a.count, a.kinds, a.sizes, a.out);
  if (at < 0) return throw_error(env, "compressBatch: out of memory");
  return number(env, (double)at);
}

// compressBatchAsync: compressBatch on libuv's thread pool, so batches are compressed in
// parallel without worker threads (no isolate to boot per worker, nothing posted between
// threads). Each pool thread keeps its own codec state. The four arrays are referenced until
// the job ends; the caller must not touch them before the promise settles.
static __thread State *thread_state;

static State *pool_thread_state(void) {
  if (!thread_state) {
    State *s = calloc(1, sizeof(State));
    if (s && !(s->lzo_work = malloc(LZO1X_1_MEM_COMPRESS))) {
      free(s);
      s = NULL;
    }
    thread_state = s; // kept for the thread's life (libuv's pool threads live as long as the process)
  }
  return thread_state;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[4];
  BatchArgs a;
  long result;
  int fd;            // compressFileAsync: read the pages from here first (-1: they are in `pages`)
  int64_t offset;
  int read_errno;    // the read failed: errno, or -1 when the file ended first
  size_t read_bytes; // bytes read before that
} BatchJob;

// Queues `data`'s work on libuv's thread pool (under `name`); returns the promise its `complete`
// settles through *deferred.
static napi_value queue_job(napi_env env, const char *name, napi_async_execute_callback execute,
                            napi_async_complete_callback complete, void *data, napi_async_work *work, napi_deferred *deferred) {
  napi_value promise, resource;
  napi_create_promise(env, deferred, &promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource);
  napi_create_async_work(env, NULL, resource, execute, complete, data, work);
  napi_queue_async_work(env, *work);
  return promise;
}

// An Error with `code` (VMCORE_…) and `message`, to reject a job's promise with.
static napi_value coded_error(napi_env env, const char *code, const char *message) {
  napi_value text, code_value, error;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_error(env, code_value, text, &error);
  return error;
}

// Reads the whole batch from j->fd at j->offset into the pages (pread, as many calls as it takes).
static int read_pages(BatchJob *j) {
  size_t want = j->a.count * j->a.page_size;
  while (j->read_bytes < want) {
    ssize_t r = pread(j->fd, j->a.pages + j->read_bytes, want - j->read_bytes, (off_t)(j->offset + (int64_t)j->read_bytes));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      j->read_errno = r < 0 ? errno : -1;
      return 0;
    }
    j->read_bytes += (size_t)r;
  }
  return 1;
}

static void batch_execute(napi_env env, void *data) {
  (void)env;
  BatchJob *j = data;
  State *s = pool_thread_state();
  if (j->fd >= 0 && !read_pages(j)) return;
  j->result = s ? compress_pages(s, j->a.codec, j->a.level, j->a.pages, j->a.page_size, j->a.count, j->a.kinds, j->a.sizes, j->a.out)
                : -1;
}

static void batch_complete(napi_env env, napi_status status, void *data) {
  BatchJob *j = data;
  for (int i = 0; i < 4; i++) napi_delete_reference(env, j->refs[i]);
  if (status == napi_ok && j->read_errno == 0 && j->result >= 0) {
    napi_resolve_deferred(env, j->deferred, number(env, (double)j->result));
  } else {
    char text[160];
    const char *code = "VMCORE_CODEC";
    if (status != napi_ok) {
      snprintf(text, sizeof text, "compressBatchAsync: cancelled");
    } else if (j->read_errno > 0) {
      code = "VMCORE_IO";
      snprintf(text, sizeof text, "read of %zu bytes at offset %lld: %s", j->a.count * j->a.page_size, (long long)j->offset,
               strerror(j->read_errno));
    } else if (j->read_errno < 0) {
      code = "VMCORE_TRUNCATED";
      snprintf(text, sizeof text, "needs bytes %lld..%lld but the file ends at %lld", (long long)j->offset,
               (long long)(j->offset + (int64_t)(j->a.count * j->a.page_size)), (long long)(j->offset + (int64_t)j->read_bytes));
    } else {
      snprintf(text, sizeof text, "compressBatchAsync: out of memory");
    }
    napi_reject_deferred(env, j->deferred, coded_error(env, code, text));
  }
  napi_delete_async_work(env, j->work);
  free(j);
}

// compressBatchAsync(codec, level, pages, pageSize, kinds, sizes, out[, fd, offset]): with a file
// descriptor, the batch is first read from it at `offset` into `pages` (which must then be `out`)
// on the same pool thread, so reading and compressing a file take one thread-pool trip and run
// in parallel across batches. A failed or short read rejects (VMCORE_IO, VMCORE_TRUNCATED).
static napi_value js_compress_batch_async(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  BatchJob *j = calloc(1, sizeof(BatchJob));
  if (!j) return throw_error(env, "compressBatchAsync: out of memory");
  j->fd = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  const char *bad = argc < 7 ? "compressBatchAsync(codec, level, pages, pageSize, kinds, sizes, out[, fd, offset])" : batch_args(env, argv, &j->a);
  if (!bad && argc >= 9) {
    int32_t fd;
    if (napi_get_value_int32(env, argv[7], &fd) != napi_ok || fd < 0 || napi_get_value_int64(env, argv[8], &j->offset) != napi_ok ||
        j->offset < 0)
      bad = "compressBatchAsync: fd must be a descriptor and offset a non-negative integer";
    else if (j->a.out != j->a.pages)
      bad = "compressBatchAsync: reading from a file compresses in place (out must be pages)";
    else
      j->fd = fd;
  }
  if (bad) {
    free(j);
    return throw_error(env, bad);
  }
  const int held[4] = {2, 4, 5, 6};
  for (int i = 0; i < 4; i++) napi_create_reference(env, argv[held[i]], 1, &j->refs[i]);
  return queue_job(env, "vmcore.compressBatch", batch_execute, batch_complete, j, &j->work, &j->deferred);
}

// isZero(bytes) -> true when every byte is zero.
static napi_value js_is_zero(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint8_t *p;
  size_t n;
  napi_value out;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !get_bytes(env, argv[0], &p, &n)) return throw_error(env, "isZero(bytes: Uint8Array)");
  napi_get_boolean(env, is_zero(p, n), &out);
  return out;
}

// copyFileRange(fdIn, offIn, fdOut, offOut, length) -> bytes copied by the kernel (may be
// fewer than asked; 0 at the end of the input), or -errno (ENOSYS, EXDEV, EINVAL...: the
// caller falls back to read/write).
static napi_value js_copy_file_range(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t fd_in, fd_out;
  int64_t off_in, off_out, length;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || napi_get_value_int32(env, argv[0], &fd_in) != napi_ok ||
      napi_get_value_int64(env, argv[1], &off_in) != napi_ok || napi_get_value_int32(env, argv[2], &fd_out) != napi_ok ||
      napi_get_value_int64(env, argv[3], &off_out) != napi_ok || napi_get_value_int64(env, argv[4], &length) != napi_ok ||
      off_in < 0 || off_out < 0 || length < 0)
    return throw_error(env, "copyFileRange(fdIn, offIn, fdOut, offOut, length)");
#ifdef SYS_copy_file_range
  loff_t in = off_in, outp = off_out;
  long r = syscall(SYS_copy_file_range, fd_in, &in, fd_out, &outp, (size_t)length, 0u);
  return number(env, r < 0 ? -(double)errno : (double)r);
#else
  return number(env, -(double)ENOSYS);
#endif
}

// seekData(fd, offset) / seekHole(fd, offset) -> lseek(2) with SEEK_DATA / SEEK_HOLE: the first
// offset >= `offset` that holds data (or the next hole: the end of the file at worst), -ENXIO when
// no data follows, or -errno (EINVAL where the file system cannot tell: the caller reads instead).
static napi_value seek_whence(napi_env env, napi_callback_info info, int whence, const char *usage) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fd;
  int64_t offset;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &offset) != napi_ok ||
      offset < 0)
    return throw_error(env, usage);
  off_t r = lseek(fd, (off_t)offset, whence);
  return number(env, r < 0 ? -(double)errno : (double)r);
}

static napi_value js_seek_data(napi_env env, napi_callback_info info) {
  return seek_whence(env, info, SEEK_DATA, "seekData(fd, offset)");
}

static napi_value js_seek_hole(napi_env env, napi_callback_info info) {
  return seek_whence(env, info, SEEK_HOLE, "seekHole(fd, offset)");
}

// copyFileRangeAsync: copy_file_range(2) in a loop on libuv's thread pool, so the event loop
// (a QMP monitor) keeps running while the kernel moves the bytes. With skip_holes, ranges that
// are holes in the input (lseek SEEK_DATA/SEEK_HOLE) are not written: a fresh output keeps them
// as holes. Resolves with the bytes covered (fewer only at the end of the input) or -errno.
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd_in, fd_out, skip_holes;
  int64_t off_in, off_out, length, result;
  unsigned char *buffer; // set once copy_file_range says EXDEV: pread/pwrite through it
} CopyJob;

enum { COPY_BUFFER = 1 << 20 };

// One pread + pwrite of up to COPY_BUFFER bytes; like copy_file_range: bytes copied, 0 at the end
// of the input, -1 with errno set.
static long copy_through_buffer(CopyJob *j, int64_t in, int64_t out, int64_t want) {
  ssize_t got = pread(j->fd_in, j->buffer, (size_t)(want < COPY_BUFFER ? want : COPY_BUFFER), (off_t)in);
  if (got <= 0) return got;
  for (ssize_t put = 0; put < got;) {
    ssize_t w = pwrite(j->fd_out, j->buffer + put, (size_t)(got - put), (off_t)(out + put));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return w < 0 ? -1 : (errno = EIO, -1);
    put += w;
  }
  return (long)got;
}

static int64_t copy_range(CopyJob *j) {
#ifdef SYS_copy_file_range
  int64_t done = 0;
  while (done < j->length) {
    loff_t in = j->off_in + done, outp = j->off_out + done;
    int64_t want = j->length - done;
    if (j->skip_holes) {
      off_t data = lseek(j->fd_in, in, SEEK_DATA);
      if (data < 0) {
        if (errno == ENXIO) return j->length; // a hole up to the end of the input
        j->skip_holes = 0;                    // no SEEK_DATA here: copy everything
        continue;
      }
      if (data > in) {
        done += data - in < want ? data - in : want;
        continue;
      }
      off_t hole = lseek(j->fd_in, in, SEEK_HOLE);
      if (hole > in && hole - in < want) want = hole - in;
    }
    long r = j->buffer ? copy_through_buffer(j, in, outp, want)
                       : syscall(SYS_copy_file_range, j->fd_in, &in, j->fd_out, &outp, (size_t)want, 0u);
    if (r < 0) {
      if (errno == EINTR) continue;
      // Files on two filesystems (RAM in /dev/shm, the dump on disk): copy here, still off the
      // event loop, with pread/pwrite through one buffer as cp does.
      if (errno == EXDEV && !j->buffer && (j->buffer = malloc(COPY_BUFFER))) continue;
      return -(int64_t)errno;
    }
    if (r == 0) break;
    done += r;
  }
  return done;
#else
  (void)j;
  return -ENOSYS;
#endif
}

static void copy_execute(napi_env env, void *data) {
  (void)env;
  CopyJob *j = data;
  j->result = copy_range(j);
  free(j->buffer);
  j->buffer = NULL;
}

static void copy_complete(napi_env env, napi_status status, void *data) {
  CopyJob *j = data;
  napi_value value;
  napi_create_double(env, status == napi_ok ? (double)j->result : -(double)ECANCELED, &value);
  napi_resolve_deferred(env, j->deferred, value);
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value js_copy_file_range_async(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  bool skip = false;
  CopyJob *j = calloc(1, sizeof(CopyJob));
  if (!j) return throw_error(env, "copyFileRangeAsync: out of memory");
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || napi_get_value_int32(env, argv[0], &j->fd_in) != napi_ok ||
      napi_get_value_int64(env, argv[1], &j->off_in) != napi_ok || napi_get_value_int32(env, argv[2], &j->fd_out) != napi_ok ||
      napi_get_value_int64(env, argv[3], &j->off_out) != napi_ok || napi_get_value_int64(env, argv[4], &j->length) != napi_ok ||
      (argc > 5 && napi_get_value_bool(env, argv[5], &skip) != napi_ok) || j->off_in < 0 || j->off_out < 0 || j->length < 0) {
    free(j);
    return throw_error(env, "copyFileRangeAsync(fdIn, offIn, fdOut, offOut, length, skipHoles)");
  }
  j->skip_holes = skip;
  return queue_job(env, "vmcore.copyFileRange", copy_execute, copy_complete, j, &j->work, &j->deferred);
}

// decodePagesAsync(stored, entries, count, pageSize, out): on libuv's thread pool, page i of `out`
// from stored[entries[3i], +entries[3i+1]) stored as entries[3i+2] (0 raw, 1 zlib, 2 lzo, 3 snappy:
// @vmcore/compress's DecodeJob). Resolves with count; rejects with the index of the first page that
// is out of bounds or does not decode to exactly pageSize bytes (`page` on the error).
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[3];
  const uint8_t *stored;
  size_t stored_len;
  const uint32_t *entries;
  uint8_t *out;
  uint32_t count, page_size;
  long failed; // -1: none
} DecodeJobC;

static void decode_execute(napi_env env, void *data) {
  (void)env;
  DecodeJobC *j = data;
  State *s = pool_thread_state();
  j->failed = -1;
  for (uint32_t i = 0; i < j->count; i++) {
    uint32_t start = j->entries[3 * i], size = j->entries[3 * i + 1], code = j->entries[3 * i + 2];
    uint8_t *page = j->out + (size_t)i * j->page_size;
    if ((size_t)start + size > j->stored_len || !s) {
      j->failed = i;
      return;
    }
    const uint8_t *src = j->stored + start;
    if (code == 0) {
      if (size != j->page_size) {
        j->failed = i;
        return;
      }
      memcpy(page, src, size);
      continue;
    }
    if (code > 3 || decompress_one(s, (int)code - 1, src, size, page, j->page_size) != (long)j->page_size) {
      j->failed = i;
      return;
    }
  }
}

static void decode_complete(napi_env env, napi_status status, void *data) {
  DecodeJobC *j = data;
  for (int i = 0; i < 3; i++) napi_delete_reference(env, j->refs[i]);
  if (status == napi_ok && j->failed < 0) {
    napi_resolve_deferred(env, j->deferred, number(env, (double)j->count));
  } else {
    napi_value error = coded_error(env, "VMCORE_CODEC", status == napi_ok ? "page does not decode" : "decodePagesAsync: cancelled");
    napi_set_named_property(env, error, "page", number(env, (double)(j->failed < 0 ? 0 : j->failed)));
    napi_reject_deferred(env, j->deferred, error);
  }
  napi_delete_async_work(env, j->work);
  free(j);
}

static napi_value js_decode_pages_async(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  uint8_t *stored, *out;
  uint32_t *entries;
  size_t stored_len, entries_len, out_len;
  uint32_t count, page_size;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5 || !get_bytes(env, argv[0], &stored, &stored_len) || !get_u32array(env, argv[1], &entries, &entries_len) ||
      napi_get_value_uint32(env, argv[2], &count) != napi_ok || napi_get_value_uint32(env, argv[3], &page_size) != napi_ok ||
      !get_bytes(env, argv[4], &out, &out_len))
    return throw_error(env, "decodePagesAsync(stored, entries, count, pageSize, out)");
  if (page_size == 0 || entries_len < (size_t)count * 3 || out_len < (size_t)count * page_size)
    return throw_error(env, "decodePagesAsync: entries or out is too small for the pages");
  DecodeJobC *j = calloc(1, sizeof(DecodeJobC));
  if (!j) return throw_error(env, "decodePagesAsync: out of memory");
  j->stored = stored;
  j->stored_len = stored_len;
  j->entries = entries;
  j->out = out;
  j->count = count;
  j->page_size = page_size;
  const int held[3] = {0, 1, 4};
  for (int i = 0; i < 3; i++) napi_create_reference(env, argv[held[i]], 1, &j->refs[i]);
  return queue_job(env, "vmcore.decodePages", decode_execute, decode_complete, j, &j->work, &j->deferred);
}

static napi_value init(napi_env env, napi_value exports) {
  State *s = calloc(1, sizeof(State));
  if (!s || lzo_init() != LZO_E_OK) return throw_error(env, "compress-native: cannot initialise");
  s->lzo_work = malloc(LZO1X_1_MEM_COMPRESS);
  napi_set_instance_data(env, s, free_state, NULL);
  napi_property_descriptor props[] = {
    {"compress", NULL, js_compress, NULL, NULL, NULL, napi_enumerable, NULL},
    {"decompress", NULL, js_decompress, NULL, NULL, NULL, napi_enumerable, NULL},
    {"compressBatch", NULL, js_compress_batch, NULL, NULL, NULL, napi_enumerable, NULL},
    {"compressBatchAsync", NULL, js_compress_batch_async, NULL, NULL, NULL, napi_enumerable, NULL},
    {"decodePagesAsync", NULL, js_decode_pages_async, NULL, NULL, NULL, napi_enumerable, NULL},
    {"isZero", NULL, js_is_zero, NULL, NULL, NULL, napi_enumerable, NULL},
    {"copyFileRange", NULL, js_copy_file_range, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seekData", NULL, js_seek_data, NULL, NULL, NULL, napi_enumerable, NULL},
    {"seekHole", NULL, js_seek_hole, NULL, NULL, NULL, napi_enumerable, NULL},
    {"copyFileRangeAsync", NULL, js_copy_file_range_async, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value version;
  napi_create_string_utf8(env, LIBDEFLATE_VERSION_STRING, NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "libdeflateVersion", version);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
