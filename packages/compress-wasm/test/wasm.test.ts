import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as Wasm from '../index.js';
import type * as Codecs from '../codecs.js';

declare const WebAssembly: { Module: new (bytes: Uint8Array) => object };

// The module must be built where clang, lld and the libdeflate source are present
// (tools/deps/wasm.list, tools/deps/libdeflate-source.sh): this package's tests are about the
// module itself, so its absence is a failure here. (@vmcore/compress tests the configuration
// without it.)
const require = createRequire(import.meta.url);
const wasm = require('../index.cjs') as typeof Wasm;
const { libdeflateCodecs } = require('../codecs.cjs') as typeof Codecs;
const PAGE = 4096;
const ZERO = 0;
const COMPRESSED = 1;
const RAW = 2;

// Pages of a real binary: what a dense guest holds.
const binary = new Uint8Array(readFileSync(process.execPath).subarray(0, 600 * PAGE));

/** xorshift bytes: incompressible, deterministic. */
function noise(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Byte equality without vitest's element-by-element diffing (slow on MiBs). */
function same(a: Uint8Array | Uint32Array, b: Uint8Array | Uint32Array): boolean {
  return Buffer.compare(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), new Uint8Array(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function batch(level: number, pages: Uint8Array, pageSize: number) {
  const count = pages.length / pageSize;
  const kinds = new Uint8Array(count);
  const sizes = new Uint32Array(count);
  const out = new Uint8Array(pages.length);
  const used = wasm.compressBatch(level, pages, pageSize, kinds, sizes, out);
  return { kinds, sizes, data: out.subarray(0, used) };
}

/** A page of random bytes, repeats and zeros (compressible to any degree). */
const mixedPage = (size: number) =>
  fc
    .array(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 2000 })).map(([b, n]) => new Uint8Array(n).fill(b)),
        fc.integer({ min: 1, max: 1 << 30 }).map((seed) => noise(seed, 1500)),
      ),
      { minLength: 1, maxLength: 20 },
    )
    .map((parts) => {
      const page = new Uint8Array(size);
      let at = 0;
      for (const part of parts) {
        if (at >= size) break;
        page.set(part.subarray(0, size - at), at);
        at += part.length;
      }
      return page;
    });

describe('@vmcore/compress-wasm', () => {
  it('was compiled from libdeflate', () => {
    expect(wasm.libdeflateVersion).toMatch(/^1\.\d+/);
  });

  it('writes zlib streams that node:zlib inflates to the same bytes, and decodes them itself', () => {
    fc.assert(
      fc.property(fc.oneof(mixedPage(PAGE), fc.uint8Array({ maxLength: 70_000 })), fc.integer({ min: 1, max: 12 }), (data, level) => {
        const dst = new Uint8Array(data.length + 1024);
        const n = wasm.compress(level, data, dst);
        expect(n).toBeGreaterThan(0);
        const stream = dst.subarray(0, n);
        expect(new Uint8Array(inflateSync(stream))).toEqual(data);
        const back = new Uint8Array(data.length);
        expect(wasm.decompress(stream, back)).toBe(data.length);
        expect(back).toEqual(data);
      }),
      { numRuns: 200 },
    );
  });

  it("decodes node:zlib's streams at every level", () => {
    for (let level = 0; level <= 9; level++) {
      const page = binary.subarray(level * PAGE, (level + 1) * PAGE);
      const back = new Uint8Array(PAGE);
      expect(wasm.decompress(deflateSync(page, { level }), back)).toBe(PAGE);
      expect(back).toEqual(page);
    }
  });

  it('returns 0 when the stream does not fit in dst', () => {
    expect(wasm.compress(1, noise(3, PAGE), new Uint8Array(PAGE - 1))).toBe(0);
  });

  it('stores zero pages as nothing, incompressible pages raw, and the rest compressed, in order', () => {
    const pages = new Uint8Array(4 * PAGE);
    pages.set(binary.subarray(0, PAGE), PAGE);
    pages.set(noise(9, PAGE), 2 * PAGE);
    pages.set(binary.subarray(5 * PAGE, 6 * PAGE), 3 * PAGE);
    const { kinds, sizes, data } = batch(1, pages, PAGE);
    expect([...kinds]).toEqual([ZERO, COMPRESSED, RAW, COMPRESSED]);
    expect(sizes[0]).toBe(0);
    expect(sizes[2]).toBe(PAGE);
    expect(sizes[1]! + sizes[2]! + sizes[3]!).toBe(data.length);
    const first = data.subarray(0, sizes[1]);
    const raw = data.subarray(sizes[1], sizes[1]! + PAGE);
    const last = data.subarray(sizes[1]! + PAGE);
    expect(new Uint8Array(inflateSync(first))).toEqual(pages.subarray(PAGE, 2 * PAGE));
    expect(raw).toEqual(pages.subarray(2 * PAGE, 3 * PAGE));
    expect(new Uint8Array(inflateSync(last))).toEqual(pages.subarray(3 * PAGE));
  });

  it('compresses a page only when its stream is strictly smaller than the page (page_size - 1 bytes at most)', () => {
    // Noise then zeros: as the noise grows by a byte, the stream grows by about a byte, so
    // some prefix lengths give streams of exactly pageSize - 1 and pageSize bytes.
    const random = noise(77, PAGE);
    const seen = new Set<number>();
    for (let k = 3900; k <= PAGE; k++) {
      const page = new Uint8Array(PAGE);
      page.set(random.subarray(0, k));
      const stream = new Uint8Array(2 * PAGE);
      const length = wasm.compress(1, page, stream);
      if (length >= PAGE - 1 && length <= PAGE) seen.add(length);
      const { kinds, sizes } = batch(1, page, PAGE);
      // libdeflate needs a few bytes of slack at the end of its output buffer, so a stream
      // that would end within them of the limit is not written either: stored raw (as the
      // native addon, the same library, does). Never a stream of pageSize bytes or more.
      const what = `${k} bytes of noise, a ${length}-byte stream`;
      if (kinds[0] === COMPRESSED) expect(sizes[0], what).toBe(length);
      else expect([kinds[0], sizes[0]], what).toEqual([RAW, PAGE]);
      if (length >= PAGE) expect(kinds[0], what).toBe(RAW);
      if (length < PAGE - 16) expect(kinds[0], what).toBe(COMPRESSED);
    }
    expect([...seen].sort()).toEqual([PAGE - 1, PAGE]);
  });

  it('gives the same result for any page size and for batches of many chunks, in place or not', () => {
    fc.assert(
      fc.property(
        // Up to 2.5 MiB: three of the 1 MiB chunks the pages go through the module in.
        fc
          .constantFrom(512, 1024, 4096, 16384, 65536)
          .chain((pageSize) => fc.tuple(fc.constant(pageSize), fc.integer({ min: 0, max: (5 << 19) / pageSize }))),
        fc.integer({ min: 1, max: 9 }),
        ([pageSize, count], level) => {
          const pages = new Uint8Array(count * pageSize);
          const source = binary.subarray(0, Math.min(binary.length, pages.length));
          pages.set(source);
          if (count > 2) pages.fill(0, pageSize, 2 * pageSize);
          const separate = batch(level, pages, pageSize);
          const kinds = new Uint8Array(count);
          const sizes = new Uint32Array(count);
          const inPlace = pages.slice();
          const used = wasm.compressBatch(level, inPlace, pageSize, kinds, sizes, inPlace);
          expect(used).toBe(separate.data.length);
          expect(same(inPlace.subarray(0, used), separate.data)).toBe(true);
          expect(same(kinds, separate.kinds)).toBe(true);
          expect(same(sizes, separate.sizes)).toBe(true);
          // Page by page, as one-page batches.
          let at = 0;
          for (let i = 0; i < count; i++) {
            const one = batch(level, pages.subarray(i * pageSize, (i + 1) * pageSize), pageSize);
            expect(one.kinds[0]).toBe(kinds[i]);
            expect(same(one.data, separate.data.subarray(at, at + sizes[i]!)), `page ${i}`).toBe(true);
            at += sizes[i]!;
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('stores every page raw at a level libdeflate does not have, as the native addon does', () => {
    const { kinds, sizes } = batch(13, binary.subarray(0, 4 * PAGE), PAGE);
    expect([...kinds]).toEqual([RAW, RAW, RAW, RAW]);
    expect([...sizes]).toEqual([PAGE, PAGE, PAGE, PAGE]);
    expect(wasm.compress(0, binary.subarray(0, PAGE), new Uint8Array(2 * PAGE))).toBe(-1);
  });

  it('rejects batches that are not whole pages, short result arrays, and out overlapping pages', () => {
    const pages = binary.slice(0, 4 * PAGE);
    const kinds = new Uint8Array(4);
    const sizes = new Uint32Array(4);
    expect(() => wasm.compressBatch(1, pages.subarray(1), PAGE, kinds, sizes, new Uint8Array(4 * PAGE))).toThrow(
      /not a whole number of pages/,
    );
    expect(() => wasm.compressBatch(1, pages, PAGE, kinds.subarray(1), sizes, new Uint8Array(4 * PAGE))).toThrow(/too small/);
    expect(() => wasm.compressBatch(1, pages, PAGE, kinds, sizes, new Uint8Array(4 * PAGE - 1))).toThrow(/too small/);
    const shared = new Uint8Array(9 * PAGE);
    expect(() => wasm.compressBatch(1, shared.subarray(0, 4 * PAGE), PAGE, kinds, sizes, shared.subarray(PAGE))).toThrow(/overlaps/);
    expect(() => wasm.compressBatch(1, pages, PAGE, kinds, new Uint8Array(16) as never, pages)).toThrow(/compressBatch\(/);
  });
});

describe('hostile streams', () => {
  const page = binary.subarray(0, PAGE);
  const good = new Uint8Array(deflateSync(page, { level: 1 }));

  it('says -1 for garbage, truncated and corrupted streams, and never writes past dst', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (garbage) => {
        const dst = new Uint8Array(PAGE + 16).fill(0xee);
        const n = wasm.decompress(garbage, dst.subarray(0, PAGE));
        expect(n === -1 || n === -2 || (n >= 0 && n <= PAGE)).toBe(true);
        expect(dst.subarray(PAGE).every((b) => b === 0xee)).toBe(true);
      }),
      { numRuns: 300 },
    );
    for (let cut = 0; cut < good.length; cut += 7) {
      expect(wasm.decompress(good.subarray(0, cut), new Uint8Array(PAGE)), `cut at ${cut}`).toBe(-1);
    }
    const badChecksum = good.slice();
    badChecksum[badChecksum.length - 1]! ^= 1;
    expect(wasm.decompress(badChecksum, new Uint8Array(PAGE))).toBe(-1);
    const gzip = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(wasm.decompress(gzip, new Uint8Array(PAGE))).toBe(-1);
  });

  it('says -1 for a stream that expands beyond dst (a bomb), and -2 for bytes after the stream', () => {
    const bomb = new Uint8Array(deflateSync(new Uint8Array(64 << 20), { level: 9 }));
    expect(wasm.decompress(bomb, new Uint8Array(PAGE))).toBe(-1);
    expect(wasm.decompress(good, new Uint8Array(PAGE - 1))).toBe(-1);
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expect(wasm.decompress(trailing, new Uint8Array(PAGE))).toBe(-2);
  });

  it("throws a VMCORE_CODEC error for buffers beyond the module's memory bound (64 MiB), and keeps working", () => {
    const codecs = libdeflateCodecs(new WebAssembly.Module(readFileSync(new URL('../build/libdeflate.wasm', import.meta.url))));
    expect(() => codecs.decompress(new Uint8Array(48 << 20), new Uint8Array(32 << 20))).toThrow(
      expect.objectContaining({ code: 'VMCORE_CODEC', message: expect.stringMatching(/do not fit in the module's memory/) }),
    );
    const back = new Uint8Array(PAGE);
    expect(codecs.decompress(good, back)).toBe(PAGE);
    expect(back).toEqual(page);
  });
});
