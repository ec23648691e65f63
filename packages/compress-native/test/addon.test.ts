import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type * as Addon from '../index.js';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

// The addon must be built where its libraries are installed (tools/deps/speed.list): this
// package's tests are about the addon itself, so its absence is a failure here. (@vmcore/compress
// tests the configuration without it.)
const addon = createRequire(import.meta.url)('../index.cjs') as typeof Addon;
const PAGE = 4096;
const ZLIB = 0;
const LZO = 1;
const SNAPPY = 2;

// Pages of a real binary: what a dense guest holds.
const binary = new Uint8Array(readFileSync(process.execPath).subarray(0, 256 * PAGE));

describe('@vmcore/compress-native', () => {
  it('finds the data and the holes of a sparse file (lseek SEEK_DATA / SEEK_HOLE)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmcore-seek-'));
    try {
      const path = join(dir, 'sparse');
      writeFileSync(path, '');
      const fd = openSync(path, 'r+');
      try {
        const MiB = 1 << 20;
        // 16 MiB: a hole, 4 KiB of data at 1 MiB, a hole to the end.
        ftruncateSync(fd, 16 * MiB);
        writeSync(fd, new Uint8Array(PAGE).fill(1), 0, PAGE, MiB);
        const data = addon.seekData(fd, 0);
        // A file system without hole reporting says all of the file is data (offset 0).
        if (data === 0) return;
        expect(data).toBe(MiB);
        expect(addon.seekHole(fd, data)).toBe(MiB + PAGE);
        expect(addon.seekData(fd, MiB + PAGE)).toBe(-6); // -ENXIO: only a hole follows
        expect(addon.seekHole(fd, 0)).toBe(0);
        expect(addon.seekData(-1, 0)).toBe(-9); // -EBADF
      } finally {
        closeSync(fd);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('was built against libdeflate', () => {
    expect(addon.libdeflateVersion).toMatch(/^1\.\d+/);
  });

  it('writes zlib streams that node:zlib (real zlib) inflates to the same page', () => {
    let compressed = 0;
    for (let i = 0; i < 256; i++) {
      const page = binary.subarray(i * PAGE, (i + 1) * PAGE);
      const dst = new Uint8Array(PAGE);
      const n = addon.compress(ZLIB, 1, page, dst);
      if (n === 0) continue; // does not fit in a page: stored raw by the batch rule
      expect(n).toBeGreaterThan(0);
      expect(new Uint8Array(inflateSync(dst.subarray(0, n)))).toEqual(page);
      compressed++;
    }
    expect(compressed).toBeGreaterThan(128);
  });

  it.each([
    ['zlib', ZLIB],
    ['lzo', LZO],
    ['snappy', SNAPPY],
  ] as const)('%s: decompress(compress(page)) is the page; bad streams are -1 or -2', (_name, codec) => {
    const page = binary.subarray(40 * PAGE, 41 * PAGE);
    const dst = new Uint8Array(2 * PAGE);
    const n = addon.compress(codec, 1, page, dst);
    expect(n).toBeGreaterThan(0);
    const back = new Uint8Array(PAGE);
    expect(addon.decompress(codec, dst.subarray(0, n), back)).toBe(PAGE);
    expect(back).toEqual(page);
    // Output limit one byte short of the page: never written past, reported as a failure.
    expect(addon.decompress(codec, dst.subarray(0, n), new Uint8Array(PAGE - 1))).toBe(-1);
    expect(addon.decompress(codec, dst.subarray(0, n >> 1), back)).toBeLessThan(0);
    const trailing = new Uint8Array(n + 1);
    trailing.set(dst.subarray(0, n));
    if (codec !== SNAPPY) expect(addon.decompress(codec, trailing, back)).toBe(-2);
  });

  it("compressBatch applies QEMU's page rules: zero, compressed when strictly smaller, else raw", () => {
    const pages = new Uint8Array(4 * PAGE);
    pages.set(binary.subarray(40 * PAGE, 41 * PAGE), PAGE); // compressible
    pages.set(randomBytes(PAGE), 2 * PAGE); // noise: no codec makes it smaller
    pages[4 * PAGE - 1] = 1; // one byte set: not a zero page
    for (const codec of [ZLIB, LZO, SNAPPY] as const) {
      const kinds = new Uint8Array(4);
      const sizes = new Uint32Array(4);
      const out = new Uint8Array(pages.length);
      const used = addon.compressBatch(codec, 1, pages, PAGE, kinds, sizes, out);
      expect([...kinds]).toEqual([0, 1, 2, 1]);
      expect(sizes[0]).toBe(0);
      expect(sizes[1]).toBeLessThan(PAGE);
      expect(sizes[2]).toBe(PAGE);
      expect(used).toBe(sizes[1]! + sizes[2]! + sizes[3]!);
      expect(out.subarray(sizes[1]!, sizes[1]! + PAGE)).toEqual(pages.subarray(2 * PAGE, 3 * PAGE));
      const back = new Uint8Array(PAGE);
      expect(addon.decompress(codec, out.subarray(0, sizes[1]!), back)).toBe(PAGE);
      expect(back).toEqual(pages.subarray(PAGE, 2 * PAGE));
    }
  });

  it('rejects batches that are not whole pages or whose outputs are too small', () => {
    const kinds = new Uint8Array(2);
    const sizes = new Uint32Array(2);
    expect(() => addon.compressBatch(ZLIB, 1, new Uint8Array(PAGE + 1), PAGE, kinds, sizes, new Uint8Array(2 * PAGE))).toThrow(
      /whole number/,
    );
    expect(() => addon.compressBatch(ZLIB, 1, new Uint8Array(2 * PAGE), PAGE, kinds, sizes, new Uint8Array(PAGE))).toThrow(/too small/);
    expect(() => addon.compress(ZLIB, 1, 'text' as unknown as Uint8Array, new Uint8Array(1))).toThrow(/compress\(/);
  });

  it('isZero', () => {
    const bytes = new Uint8Array(PAGE + 3);
    expect(addon.isZero(bytes)).toBe(true);
    bytes[PAGE + 2] = 1;
    expect(addon.isZero(bytes)).toBe(false);
  });
});

describe('compressBatch in place (out is pages)', () => {
  it('gives the same kinds, sizes and bytes as into a separate buffer', () => {
    const pages = new Uint8Array(64 * PAGE);
    pages.set(binary.subarray(0, 60 * PAGE));
    pages.set(randomBytes(PAGE), 61 * PAGE); // raw, after compressed ones: moved down
    for (const codec of [ZLIB, LZO, SNAPPY] as const) {
      const kindsA = new Uint8Array(64);
      const sizesA = new Uint32Array(64);
      const out = new Uint8Array(pages.length);
      const used = addon.compressBatch(codec, 1, pages, PAGE, kindsA, sizesA, out);
      const copy = pages.slice();
      const kindsB = new Uint8Array(64);
      const sizesB = new Uint32Array(64);
      expect(addon.compressBatch(codec, 1, copy, PAGE, kindsB, sizesB, copy)).toBe(used);
      expect(kindsB).toEqual(kindsA);
      expect(sizesB).toEqual(sizesA);
      expect(copy.subarray(0, used)).toEqual(out.subarray(0, used));
    }
  });

  it('refuses an out that overlaps pages without being pages', () => {
    const buffer = new Uint8Array(3 * PAGE);
    buffer.set(binary.subarray(0, 2 * PAGE));
    const pages = buffer.subarray(0, 2 * PAGE);
    expect(() => addon.compressBatch(ZLIB, 1, pages, PAGE, new Uint8Array(2), new Uint32Array(2), buffer.subarray(PAGE))).toThrow(
      /overlaps/,
    );
  });
});

describe('copyFileRange', () => {
  it('copies a range between files in the kernel, or reports -errno', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compress-native-cfr-'));
    try {
      const src = join(dir, 'in');
      const dst = join(dir, 'out');
      writeFileSync(src, binary);
      writeFileSync(dst, new Uint8Array(0));
      const fdIn = openSync(src, 'r');
      const fdOut = openSync(dst, 'r+');
      try {
        let done = 0;
        while (done < 8 * PAGE) {
          const n = addon.copyFileRange(fdIn, 3 * PAGE + done, fdOut, PAGE + done, 8 * PAGE - done);
          expect(n).toBeGreaterThan(0);
          done += n;
        }
        expect(addon.copyFileRange(fdIn, binary.length, fdOut, 0, PAGE)).toBe(0); // end of input
        expect(addon.copyFileRange(fdIn, 0, 1_000_000, 0, PAGE)).toBe(-9); // EBADF
      } finally {
        closeSync(fdIn);
        closeSync(fdOut);
      }
      const out = new Uint8Array(readFileSync(dst));
      expect(out.length).toBe(9 * PAGE);
      expect(out.subarray(0, PAGE)).toEqual(new Uint8Array(PAGE));
      expect(out.subarray(PAGE)).toEqual(binary.subarray(3 * PAGE, 11 * PAGE));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('copyFileRangeAsync copies between two filesystems too (EXDEV: pread/pwrite on the thread pool)', async () => {
    // The repository's directory and /dev/shm: on CI and dev machines two filesystems (disk, tmpfs).
    const diskDir = mkdtempSync(join(packageDir, '.cfr-'));
    const shmDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'compress-native-cfr-'));
    try {
      const big = new Uint8Array(3 * 1024 * 1024 + 123).map((_, i) => (i * 31 + (i >> 12)) & 0xff);
      const src = join(diskDir, 'in');
      const dst = join(shmDir, 'out');
      writeFileSync(src, big);
      writeFileSync(dst, new Uint8Array(0));
      const fdIn = openSync(src, 'r');
      const fdOut = openSync(dst, 'r+');
      try {
        const crossDevice = statSync(src).dev !== statSync(dst).dev;
        // a cross-device pair makes the plain syscall fail with EXDEV (18): the fallback is what copies
        if (crossDevice) expect(addon.copyFileRange(fdIn, 0, fdOut, 0, PAGE)).toBe(-18);
        expect(await addon.copyFileRangeAsync(fdIn, 1000, fdOut, 7, big.length - 1000)).toBe(big.length - 1000);
      } finally {
        closeSync(fdIn);
        closeSync(fdOut);
      }
      const out = new Uint8Array(readFileSync(dst));
      expect(out.length).toBe(7 + big.length - 1000);
      expect(out.subarray(0, 7)).toEqual(new Uint8Array(7));
      expect(out.subarray(7)).toEqual(big.subarray(1000));
    } finally {
      rmSync(diskDir, { recursive: true, force: true });
      rmSync(shmDir, { recursive: true, force: true });
    }
  });
});
