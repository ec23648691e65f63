import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PAGE_COMPRESSED, PAGE_RAW, compressBatch, compressPage, pakoZlib } from '../src/index.js';
import { pageDeflater } from '../src/zlib-engine.js';
import { PAGE, realPages } from './helpers.js';

/** `random` xorshift bytes, then zeros: deflate grows by one byte per random byte near the end. */
function partlyRandomPage(random: number, seed = 99): Uint8Array {
  let s = seed;
  const page = new Uint8Array(PAGE);
  for (let i = 0; i < random; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    page[i] = s & 0xff;
  }
  return page;
}

function concat(pages: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pages.length * PAGE);
  pages.forEach((page, i) => out.set(page, i * PAGE));
  return out;
}

describe('reused zlib stream (node:zlib)', () => {
  it('is available in Node and matches deflateSync at every level, page after page', () => {
    const pages = realPages(24);
    for (let level = 1; level <= 9; level++) {
      const engine = pageDeflater(level);
      expect(engine, `level ${level}`).toBeDefined();
      const out = new Uint8Array(PAGE * 2);
      for (const page of pages) {
        const n = engine!.deflateInto(page, out);
        expect(out.subarray(0, n)).toEqual(new Uint8Array(deflateSync(page, { level })));
      }
    }
  });

  it('returns -1 unless the stream is strictly shorter than the buffer, and the next page is unaffected', () => {
    const engine = pageDeflater(1)!;
    const page = partlyRandomPage(4040); // deflates to exactly 4096 bytes
    expect(deflateSync(page, { level: 1 }).length).toBe(PAGE);
    expect(engine.deflateInto(page, new Uint8Array(PAGE - 1))).toBe(-1);
    expect(engine.deflateInto(page, new Uint8Array(PAGE))).toBe(-1);
    const roomy = new Uint8Array(PAGE + 1);
    expect(engine.deflateInto(page, roomy)).toBe(PAGE);
    expect(roomy.subarray(0, PAGE)).toEqual(new Uint8Array(deflateSync(page, { level: 1 })));
    const next = realPages(1)[0]!;
    const out = new Uint8Array(PAGE);
    const n = engine.deflateInto(next, out);
    expect(out.subarray(0, n)).toEqual(new Uint8Array(deflateSync(next, { level: 1 })));
  });

  it('gives compressBatch the per-page rule at the size boundary (4094..4098-byte streams)', () => {
    // 4038..4042 random bytes deflate to 4094..4098 bytes: compressed only below 4096.
    const pages = [4038, 4039, 4040, 4041, 4042].map((n) => partlyRandomPage(n));
    expect(pages.map((p) => deflateSync(p, { level: 1 }).length)).toEqual([4094, 4095, 4096, 4097, 4098]);
    const batch = compressBatch('zlib', concat(pages), PAGE, { native: false });
    expect([...batch.kinds]).toEqual([PAGE_COMPRESSED, PAGE_COMPRESSED, PAGE_RAW, PAGE_RAW, PAGE_RAW]);
    expect([...batch.sizes]).toEqual([4094, 4095, PAGE, PAGE, PAGE]);
    let at = 0;
    pages.forEach((page, i) => {
      expect(batch.data.subarray(at, at + batch.sizes[i]!)).toEqual(new Uint8Array(compressPage('zlib', page).bytes));
      at += batch.sizes[i]!;
    });
  });

  it('leaves a batch with an explicit pako backend to pako, byte for byte as before', () => {
    const pages = concat(realPages(8));
    const viaPako = compressBatch('zlib', pages, PAGE, { zlib: pakoZlib });
    let at = 0;
    for (let i = 0; i < 8; i++) {
      const expected = compressPage('zlib', pages.subarray(i * PAGE, (i + 1) * PAGE), { zlib: pakoZlib }).bytes;
      expect(viaPako.data.subarray(at, at + viaPako.sizes[i]!)).toEqual(new Uint8Array(expected));
      at += viaPako.sizes[i]!;
    }
  });
});
