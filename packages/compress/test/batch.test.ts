import { describe, expect, it } from 'vitest';
import {
  PAGE_CODECS,
  PAGE_COMPRESSED,
  PAGE_RAW,
  PAGE_ZERO,
  compressBatch,
  compressPage,
  decompressPage,
  isZeroPage,
} from '../src/index.js';
import { PAGE, equalBytes, samplePages } from './helpers.js';

describe('compressBatch (in-thread)', () => {
  it('detects zero pages, including a last non-zero byte and unaligned views', () => {
    const page = new Uint8Array(PAGE + 1).subarray(1);
    expect(isZeroPage(page)).toBe(true);
    page[PAGE - 1] = 1;
    expect(isZeroPage(page)).toBe(false);
    const aligned = new Uint8Array(PAGE);
    aligned[0] = 1;
    expect(isZeroPage(aligned)).toBe(false);
  });

  it.each(PAGE_CODECS)('%s: kinds, sizes and data follow the per-page rule, in order (TypeScript codecs)', (codec) => {
    const pages = samplePages();
    const batch = compressBatch(codec, pages, PAGE, { native: false });
    const n = pages.length / PAGE;
    expect(batch.kinds.length).toBe(n);
    expect(batch.sizes.length).toBe(n);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const page = pages.subarray(i * PAGE, (i + 1) * PAGE);
      const stored = batch.data.subarray(at, at + batch.sizes[i]!);
      if (isZeroPage(page)) {
        expect(batch.kinds[i]).toBe(PAGE_ZERO);
        expect(batch.sizes[i]).toBe(0);
        continue;
      }
      const expected = compressPage(codec, page);
      expect(batch.kinds[i]).toBe(expected.stored === 'compressed' ? PAGE_COMPRESSED : PAGE_RAW);
      expect(equalBytes(stored, expected.bytes)).toBe(true);
      const back = batch.kinds[i] === PAGE_RAW ? stored : decompressPage(codec, stored, PAGE);
      expect(equalBytes(back, page)).toBe(true);
      at += batch.sizes[i]!;
    }
    expect(at).toBe(batch.data.length);
    expect([...batch.kinds].slice(0, 1)).toEqual([PAGE_ZERO]);
    expect(batch.kinds[7]).toBe(PAGE_RAW); // the random page
  });

  it('rejects a batch that is not whole pages', () => {
    expect(() => compressBatch('lzo', new Uint8Array(PAGE + 1), PAGE)).toThrow(/not a whole number of 4096-byte pages/);
  });
});
