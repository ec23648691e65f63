/* Native reference for `bench codecs`: times the C libraries QEMU links (zlib compress2 at
 * Z_BEST_SPEED, liblzo2 lzo1x_1_compress / lzo1x_decompress_safe, libsnappy) on the same
 * pages, in one process, so no per-page process or interpreter overhead is measured.
 * usage: codec-bench <zlib|lzo|snappy> <pages-file> <page-size> <runs>
 * prints JSON: best compress/decompress seconds over <runs> and byte counts. */
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what) {
  fprintf(stderr, "codec-bench: %s\n", what);
  exit(2);
}

int main(int argc, char **argv) {
  if (argc != 5) die("usage: codec-bench <zlib|lzo|snappy> <pages-file> <page-size> <runs>");
  const char *codec = argv[1];
  size_t ps = (size_t)atol(argv[3]);
  int runs = atoi(argv[4]);
  int kind = !strcmp(codec, "zlib") ? 0 : !strcmp(codec, "lzo") ? 1 : !strcmp(codec, "snappy") ? 2 : -1;
  if (kind < 0 || ps == 0 || ps > 65536 || runs < 1) die("bad arguments");

  FILE *f = fopen(argv[2], "rb");
  if (!f) die("cannot open pages file");
  fseek(f, 0, SEEK_END);
  size_t len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  size_t n = len / ps;
  unsigned char *in = malloc(len);
  if (!in || fread(in, 1, len, f) != len) die("cannot read pages file");
  fclose(f);

  size_t bound = ps + ps / 16 + 64 + 3;
  if (compressBound(ps) > bound) bound = compressBound(ps);
  if (snappy_max_compressed_length(ps) > bound) bound = snappy_max_compressed_length(ps);
  unsigned char *comp = malloc(n * bound);
  size_t *sizes = malloc(n * sizeof(size_t));
  unsigned char *wrk = malloc(LZO1X_1_MEM_COMPRESS);
  unsigned char *out = malloc(ps);
  if (!comp || !sizes || !wrk || !out) die("out of memory");
  if (lzo_init() != LZO_E_OK) die("lzo_init failed");

  double best_c = 1e30, best_d = 1e30;
  size_t compressed = 0, decompressed = 0;
  for (int r = 0; r < runs; r++) {
    compressed = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
      const unsigned char *src = in + i * ps;
      unsigned char *dst = comp + i * bound;
      int ok;
      if (kind == 0) {
        uLongf dl = bound;
        ok = compress2(dst, &dl, src, ps, Z_BEST_SPEED) == Z_OK;
        sizes[i] = dl;
      } else if (kind == 1) {
        lzo_uint dl = bound;
        ok = lzo1x_1_compress(src, ps, dst, &dl, wrk) == LZO_E_OK;
        sizes[i] = dl;
      } else {
        size_t dl = bound;
        ok = snappy_compress((const char *)src, ps, (char *)dst, &dl) == SNAPPY_OK;
        sizes[i] = dl;
      }
      if (!ok) die("compression failed");
      compressed += sizes[i];
    }
    double t = now() - t0;
    if (t < best_c) best_c = t;
  }
  /* As the kdump reader does: only pages stored compressed (smaller than a page) are decoded. */
  for (int r = 0; r < runs; r++) {
    decompressed = 0;
    double t0 = now();
    for (size_t i = 0; i < n; i++) {
      if (sizes[i] >= ps) continue;
      const unsigned char *src = comp + i * bound;
      int ok;
      if (kind == 0) {
        uLongf ol = ps;
        ok = uncompress(out, &ol, src, sizes[i]) == Z_OK && ol == ps;
      } else if (kind == 1) {
        lzo_uint ol = ps;
        ok = lzo1x_decompress_safe(src, sizes[i], out, &ol, NULL) == LZO_E_OK && ol == ps;
      } else {
        size_t ol = ps;
        ok = snappy_uncompress((const char *)src, sizes[i], (char *)out, &ol) == SNAPPY_OK && ol == ps;
      }
      if (!ok) die("decompression failed");
      if (r == 0 && memcmp(out, in + i * ps, ps) != 0) die("round trip mismatch");
      decompressed += ps;
    }
    double t = now() - t0;
    if (t < best_d) best_d = t;
  }
  printf("{\"compressSeconds\":%.6f,\"decompressSeconds\":%.6f,\"inputBytes\":%zu,"
         "\"compressedBytes\":%zu,\"decompressedBytes\":%zu}\n",
         best_c, best_d, n * ps, compressed, decompressed);
  return 0;
}
