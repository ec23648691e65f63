// The optional WebAssembly libdeflate (@vmcore/compress-wasm), the zlib tier after the native
// addon: what it writes every zlib reader reads, its page rule is the addon's, and the package
// uses it (in this thread and in workers) only where the addon is absent. The package's test
// script runs this file three times: with everything, with VMCORE_NO_NATIVE=1 (this tier
// serves zlib) and with VMCORE_NO_NATIVE=1 VMCORE_NO_WASM=1 (node:zlib serves it).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PAGE_COMPRESSED,
  PAGE_RAW,
  PAGE_ZERO,
  PageCompressorPool,
  compressBatch,
  decompressPage,
  nativeCodecs,
  nodeZlib,
  pakoZlib,
  wasmZlib,
  type CompressedBatch,
} from '../dist/index.js';
import { anyPage } from './arbitraries.js';
import { PAGE, equalBytes, mixedBatch, realPages, samplePages } from './helpers.js';

const noNative = process.env.VMCORE_NO_NATIVE === '1';
const noWasm = process.env.VMCORE_NO_WASM === '1';

function concat(pages: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pages.length * PAGE);
  pages.forEach((page, i) => out.set(page, i * PAGE));
  return out;
}

/** The stored bytes of each page of a batch (undefined for zero pages). */
function stored(batch: CompressedBatch): Array<Uint8Array | undefined> {
  let at = 0;
  return [...batch.kinds].map((kind, i) => {
    const bytes = batch.data.subarray(at, at + batch.sizes[i]!);
    at += batch.sizes[i]!;
    return kind === PAGE_ZERO ? undefined : bytes;
  });
}

/** Each page as node:zlib's compress2(level 1) under QEMU's rule: what the tier below this one writes. */
function nodeZlibBatch(pages: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < pages.length; at += PAGE) {
    const page = pages.subarray(at, at + PAGE);
    if (page.every((b) => b === 0)) continue;
    const z = deflateSync(page, { level: 1 });
    parts.push(z.length < PAGE ? z : page);
  }
  return Buffer.concat(parts);
}

describe.skipIf(noWasm)('with @vmcore/compress-wasm', () => {
  const wasm = () => wasmZlib()!;

  it('is loaded', () => {
    expect(wasmZlib()?.libdeflateVersion).toMatch(/^1\.\d+/);
  });

  it("writes zlib streams that node:zlib and pako inflate to the page, and reads node:zlib's", () => {
    fc.assert(
      fc.property(anyPage, fc.integer({ min: 1, max: 9 }), (page, level) => {
        const kinds = new Uint8Array(1);
        const sizes = new Uint32Array(1);
        const out = new Uint8Array(PAGE);
        const used = wasm().compressBatch(level, page, PAGE, kinds, sizes, out);
        if (kinds[0] !== PAGE_COMPRESSED) return;
        const stream = out.subarray(0, used);
        expect(equalBytes(nodeZlib()!.decompress(stream, PAGE), page)).toBe(true);
        expect(equalBytes(pakoZlib.decompress(stream, PAGE), page)).toBe(true);
        const back = new Uint8Array(PAGE);
        expect(wasm().decompress(deflateSync(page, { level }), back)).toBe(PAGE);
        expect(equalBytes(back, page)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("gives the native addon's kinds, sizes and bytes (the same libdeflate release), zero and incompressible pages included", () => {
    // The addon itself, loaded directly: nativeCodecs() is off in the VMCORE_NO_NATIVE=1 runs.
    const addon = createRequire(import.meta.url)('@vmcore/compress-native') as {
      compressBatch(codec: 0, level: number, ...rest: [Uint8Array, number, Uint8Array, Uint32Array, Uint8Array]): number;
      libdeflateVersion: string;
    };
    expect(wasm().libdeflateVersion).toBe(addon.libdeflateVersion);
    for (const pages of [samplePages(), mixedBatch(300), concat(realPages(256))]) {
      for (const level of [1, 6, 9]) {
        const count = pages.length / PAGE;
        const a = { kinds: new Uint8Array(count), sizes: new Uint32Array(count), out: new Uint8Array(pages.length) };
        const b = { kinds: new Uint8Array(count), sizes: new Uint32Array(count), out: new Uint8Array(pages.length) };
        const usedA = wasm().compressBatch(level, pages, PAGE, a.kinds, a.sizes, a.out);
        const usedB = addon.compressBatch(0, level, pages, PAGE, b.kinds, b.sizes, b.out);
        expect([...a.kinds]).toEqual([...b.kinds]);
        expect([...a.sizes]).toEqual([...b.sizes]);
        expect(usedA).toBe(usedB);
        expect(equalBytes(a.out.subarray(0, usedA), b.out.subarray(0, usedB))).toBe(true);
      }
    }
    const kinds = compressBatch('zlib', samplePages(), PAGE).kinds;
    expect([kinds[0], kinds[7], kinds[8]]).toEqual([PAGE_ZERO, PAGE_RAW, PAGE_ZERO]);
  });

  describe.runIf(noNative)('as the zlib tier without the addon (VMCORE_NO_NATIVE=1)', () => {
    it('serves compressBatch, and `native: false` keeps node:zlib', () => {
      expect(nativeCodecs()).toBeUndefined();
      const pages = mixedBatch(96);
      const batch = compressBatch('zlib', pages, PAGE);
      const count = pages.length / PAGE;
      const kinds = new Uint8Array(count);
      const sizes = new Uint32Array(count);
      const out = new Uint8Array(pages.length);
      const used = wasm().compressBatch(1, pages, PAGE, kinds, sizes, out);
      expect(equalBytes(batch.data, out.subarray(0, used))).toBe(true);
      expect([...batch.kinds]).toEqual([...kinds]);
      expect(equalBytes(compressBatch('zlib', pages, PAGE, { native: false }).data, nodeZlibBatch(pages))).toBe(true);
      expect(equalBytes(batch.data, nodeZlibBatch(pages))).toBe(false); // libdeflate's bytes are not zlib's
    });

    it('decodes zlib pages, and a bad stream still gets a VMCORE_CODEC error', () => {
      const pages = mixedBatch(30);
      const batch = compressBatch('zlib', pages, PAGE);
      stored(batch).forEach((bytes, i) => {
        if (!bytes || batch.kinds[i] !== PAGE_COMPRESSED) return;
        expect(equalBytes(decompressPage('zlib', bytes, PAGE), pages.subarray(i * PAGE, (i + 1) * PAGE))).toBe(true);
      });
      expect(() => decompressPage('zlib', new Uint8Array([0x78, 0x01, 0xff]), PAGE)).toThrow(
        expect.objectContaining({ code: 'VMCORE_CODEC' }),
      );
      const truncated = compressBatch('zlib', pages.subarray(PAGE, 2 * PAGE), PAGE).data.subarray(0, 100);
      expect(() => decompressPage('zlib', truncated, PAGE)).toThrow(expect.objectContaining({ code: 'VMCORE_CODEC' }));
    });

    it('serves workers: transferred batches and shared slots give the same bytes as this thread', async () => {
      const pages = mixedBatch(64);
      const expected = compressBatch('zlib', pages, PAGE);
      const pool = new PageCompressorPool({ codec: 'zlib', workers: 1, shared: { count: 1, bytes: 64 * PAGE } });
      const own = new PageCompressorPool({ codec: 'zlib', workers: 1, native: false });
      try {
        const copied = await pool.compressBatch(pages, PAGE);
        const slot = pool.sharedBuffer()!;
        slot.set(pages);
        const inSlot = await pool.compressBatch(slot, PAGE, { transfer: true });
        for (const batch of [copied, inSlot]) {
          expect(equalBytes(batch.data, expected.data)).toBe(true);
          expect([...batch.kinds]).toEqual([...expected.kinds]);
          expect([...batch.sizes]).toEqual([...expected.sizes]);
        }
        pool.release(slot);
        expect(equalBytes((await own.compressBatch(pages, PAGE)).data, nodeZlibBatch(pages))).toBe(true);
      } finally {
        await Promise.all([pool.close(), own.close()]);
      }
    });

    it('leaves lzo and snappy pages to the package (the module has only zlib)', () => {
      const pages = mixedBatch(12);
      for (const codec of ['lzo', 'snappy'] as const) {
        expect(equalBytes(compressBatch(codec, pages, PAGE).data, compressBatch(codec, pages, PAGE, { native: false }).data)).toBe(true);
      }
    });
  });
});

describe.runIf(noWasm && noNative)('without the addon and @vmcore/compress-wasm (VMCORE_NO_NATIVE=1 VMCORE_NO_WASM=1)', () => {
  it('loads neither, and writes zlib pages with node:zlib level 1, in threads and workers', async () => {
    expect(wasmZlib()).toBeUndefined();
    expect(nativeCodecs()).toBeUndefined();
    const pages = mixedBatch(48);
    const pool = new PageCompressorPool({ codec: 'zlib', workers: 1 });
    try {
      expect(equalBytes(compressBatch('zlib', pages, PAGE).data, nodeZlibBatch(pages))).toBe(true);
      expect(equalBytes((await pool.compressBatch(pages, PAGE)).data, nodeZlibBatch(pages))).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

describe('the worker entry', () => {
  it('statically imports neither pako nor snappyjs: a worker the addon or the module serves never loads them', () => {
    // The static import graph of dist/pool-worker.js (dynamic import() calls are what load the
    // package's own codecs, on a worker's first batch that needs them).
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(new URL(`../dist/${file}`, import.meta.url), 'utf8');
      for (const [, spec] of text.matchAll(/^\s*(?:import|export)\s[^;()]*?from\s+'([^']+)'/gm)) {
        if (spec!.startsWith('./')) visit(spec!.slice(2));
        else bare.add(spec!);
      }
    };
    visit('pool-worker.js');
    expect(seen).toContain('wasm.js');
    expect([...bare].sort()).toEqual(['@vmcore/bytes']);
  });
});
