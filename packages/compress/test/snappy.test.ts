import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { snappyCompress, snappyDecompress, snappyUncompressedLength } from '../src/index.js';
import { anyPage } from './arbitraries.js';
import { PAGE, equalBytes, native, randomPage, realPages } from './helpers.js';

const real = realPages(200);
const samples = [...real, new Uint8Array(PAGE), new Uint8Array(PAGE).fill(9), randomPage(6)];

describe('snappy (raw blocks)', () => {
  it('round-trips random, zero, repetitive and real-binary pages', () => {
    fc.assert(
      fc.property(anyPage, (page) => {
        expect(equalBytes(snappyDecompress(snappyCompress(page), PAGE), page)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('writes blocks libsnappy decodes, and decodes what libsnappy writes', () => {
    const ours = samples.map((p) => snappyCompress(p));
    native('unsnappy', ours).forEach((page, i) => expect(equalBytes(page!, samples[i]!), `sample ${i}`).toBe(true));
    native('snappy', samples).forEach((packed, i) => {
      expect(snappyUncompressedLength(packed!)).toBe(PAGE);
      expect(equalBytes(snappyDecompress(packed!, PAGE), samples[i]!), `sample ${i}`).toBe(true);
    });
  });

  it('decodes the long-literal and 4-byte-offset tags libsnappy may use', () => {
    // varint 70, literal of 64 bytes with a 1-byte length (tag 60<<2), then a copy-4 of 6 bytes 64 back.
    const literal = randomPage(8, 64);
    const block = new Uint8Array([70, 60 << 2, 63, ...literal, (5 << 2) | 3, 64, 0, 0, 0]);
    const out = snappyDecompress(block, PAGE);
    expect(equalBytes(out.subarray(0, 64), literal)).toBe(true);
    expect(equalBytes(out.subarray(64), literal.subarray(0, 6))).toBe(true);
    expect(equalBytes(native('unsnappy', [block])[0]!, out)).toBe(true);
  });

  it('checks the declared length against the page size before allocating', () => {
    const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0]);
    expect(() => snappyDecompress(huge, PAGE)).toThrow(/^snappy: block declares 4294967295 bytes, more than the 4096 allowed$/);
    expect(() => snappyDecompress(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 1]), PAGE)).toThrow(/preamble/);
  });

  it('rejects a block that ends before its declared length (snappyjs would return zeros)', () => {
    const packed = snappyCompress(real[2]!);
    const short = packed.slice();
    short[0] = 0x81; // declares 4097 bytes: varint 0x81 0x20
    short[1] = 0x20;
    expect(() => snappyDecompress(short, PAGE + 1)).toThrow(/^snappy: block ends after 4096 of its declared 4097 bytes$/);
  });
});
