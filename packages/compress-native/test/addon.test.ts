import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type * as Addon from '../index.js';

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

  it('compressBatch applies QEMU\'s page rules: zero, compressed when strictly smaller, else raw', () => {
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
    expect(() => addon.compressBatch(ZLIB, 1, new Uint8Array(PAGE + 1), PAGE, kinds, sizes, new Uint8Array(2 * PAGE))).toThrow(/whole number/);
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
