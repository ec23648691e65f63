import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVmcoreError } from '@vmcore/bytes';
import { PAGE_CODECS, compressPage, compressWith, decompressPage, type ZlibBackend } from '../src/index.js';
import { anyPage } from './arbitraries.js';
import { PAGE, equalBytes, randomPage, realPages } from './helpers.js';

describe('page codecs with QEMU’s write_dump_pages rule', () => {
  it('refuses a codec it does not know', () => {
    expect(() => compressPage('zstd' as never, new Uint8Array(PAGE))).toThrow(/unknown page codec "zstd"/);
  });

  it.each(PAGE_CODECS)('%s: stores a page compressed exactly when the result is smaller than the page', (codec) => {
    fc.assert(
      fc.property(anyPage, (page) => {
        const packed = compressWith(codec, page);
        const stored = compressPage(codec, page);
        if (packed.length < PAGE) {
          expect(stored.stored).toBe('compressed');
          expect(equalBytes(stored.bytes, packed)).toBe(true);
          expect(equalBytes(decompressPage(codec, stored.bytes, PAGE), page)).toBe(true);
        } else {
          expect(stored).toEqual({ stored: 'raw', bytes: page });
        }
      }),
      { numRuns: 120 },
    );
  });

  it.each(PAGE_CODECS)('%s: stores a random page raw because it does not shrink', (codec) => {
    const page = randomPage(11);
    const stored = compressPage(codec, page);
    expect(stored.stored).toBe('raw');
    expect(stored.bytes).toBe(page);
  });

  it('stores a page raw when the codec fails (QEMU’s fallback)', () => {
    const failing: ZlibBackend = {
      name: 'pako',
      compress: () => {
        throw new Error('Z_MEM_ERROR');
      },
      decompress: () => new Uint8Array(0),
    };
    const page = realPages(1)[0]!;
    expect(compressPage('zlib', page, { zlib: failing })).toEqual({ stored: 'raw', bytes: page });
  });

  it.each(PAGE_CODECS)('%s: a page must decode to exactly the page size', (codec) => {
    const half = compressWith(codec, new Uint8Array(PAGE / 2).fill(1));
    try {
      decompressPage(codec, half, PAGE);
      expect.unreachable();
    } catch (error) {
      expect(isVmcoreError(error, 'VMCORE_CODEC')).toBe(true);
      expect((error as Error).message).toBe(`${codec}: page decodes to 2048 bytes, expected 4096`);
    }
  });

  it('rejects an unknown codec instead of storing the page raw', () => {
    expect(() => compressPage('zstd' as never, new Uint8Array(PAGE))).toThrow(/unknown page codec "zstd"/);
  });

  it('rejects a nonsensical page size', () => {
    expect(() => decompressPage('lzo', new Uint8Array(3), 0)).toThrow(/page size 0/);
  });
});
