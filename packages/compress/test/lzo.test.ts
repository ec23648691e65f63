import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVmcoreError } from '@vmcore/bytes';
import { lzo1xCompress, lzo1xDecompress, lzo1xMaxCompressedLength } from '../src/index.js';
import { anyPage, mixedPage } from './arbitraries.js';
import { PAGE, equalBytes, native, randomPage, realPages } from './helpers.js';

const real = realPages(400);
const samples = [
  ...real,
  new Uint8Array(PAGE),
  new Uint8Array(PAGE).fill(0xaa),
  randomPage(1),
  randomPage(2),
  ...fc.sample(mixedPage, { numRuns: 100, seed: 42 }),
];

describe('LZO1X-1 (ours) against liblzo2', () => {
  it('round-trips random, zero, repetitive and real-binary pages', () => {
    fc.assert(
      fc.property(anyPage, (page) => {
        expect(equalBytes(lzo1xDecompress(lzo1xCompress(page), PAGE), page)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips inputs of any length, including several 48 KiB blocks and far (M4) matches', () => {
    const far = randomPage(9, 40000);
    const long = new Uint8Array(150_000);
    long.set(far, 0);
    long.set(far.subarray(0, 30000), 60000); // repeats 60000 back: M4 within a later block
    long.set(far.subarray(100, 20100), 20000 + 17000); // 37000 - 100 back: M4 inside the first block
    for (const input of [new Uint8Array(0), new Uint8Array([7]), randomPage(3, 20), randomPage(4, 21), long]) {
      const packed = lzo1xCompress(input);
      expect(packed.length).toBeLessThanOrEqual(lzo1xMaxCompressedLength(input.length));
      expect(equalBytes(lzo1xDecompress(packed, input.length), input)).toBe(true);
      if (input.length > 0) expect(equalBytes(native('unlzo', [packed], input.length)[0]!, input)).toBe(true);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 9000 }), (input) => {
        expect(equalBytes(lzo1xDecompress(lzo1xCompress(input), input.length), input)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('writes streams liblzo2 (lzo1x_decompress_safe) decodes to the same pages', () => {
    const ours = samples.map((p) => lzo1xCompress(p));
    const decoded = native('unlzo', ours);
    decoded.forEach((page, i) => {
      expect(page, `sample ${i}`).not.toBeNull();
      expect(equalBytes(page!, samples[i]!), `sample ${i}`).toBe(true);
    });
    // The end marker QEMU's readers look for.
    expect([...ours[0]!.subarray(-3)]).toEqual([0x11, 0, 0]);
  });

  it('writes streams of about liblzo2 lzo1x_1 size (the same algorithm)', () => {
    const ours = real.reduce((sum, p) => sum + lzo1xCompress(p).length, 0);
    const theirs = native('lzo1', real).reduce((sum, c) => sum + c!.length, 0);
    expect(Math.abs(ours - theirs) / theirs).toBeLessThan(0.03);
  });

  it.each(['lzo1', 'lzo9'] as const)('decodes what liblzo2 %s writes', (op) => {
    const theirs = native(op, samples);
    theirs.forEach((packed, i) => {
      expect(equalBytes(lzo1xDecompress(packed!, PAGE), samples[i]!), `sample ${i}`).toBe(true);
    });
  });

  it('accepts what liblzo2 accepts as an end marker: any M4 instruction with distance 0', () => {
    for (const end of [
      [0x11, 0, 0],
      [0x12, 0, 0],
      [0x11, 1, 0],
      [0x10, 0, 5, 0, 0],
    ]) {
      const stream = new Uint8Array([0x01, 0x61, 0x62, 0x63, 0x64, ...end]);
      expect(equalBytes(lzo1xDecompress(stream, PAGE), new Uint8Array([0x61, 0x62, 0x63, 0x64]))).toBe(true);
      expect(equalBytes(native('unlzo', [stream])[0]!, new Uint8Array([0x61, 0x62, 0x63, 0x64]))).toBe(true);
    }
  });

  it('agrees with liblzo2 on mutated and truncated streams: same page, or both reject', () => {
    const rng = fc.sample(
      fc.record({
        page: fc.nat(samples.length - 1),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
        cut: fc.nat(8),
        level: fc.boolean(),
      }),
      { numRuns: 3000, seed: 7 },
    );
    const bases = samples.map((p) => lzo1xCompress(p));
    const theirs = native('lzo9', samples);
    const streams = rng.map(({ page, at, value, cut, level }) => {
      const base = (level ? theirs[page]! : bases[page]!).slice();
      base[at % base.length] = value;
      return base.subarray(0, base.length - (cut < 3 ? cut : 0));
    });
    const verdicts = native('unlzo', streams);
    let accepted = 0;
    streams.forEach((stream, i) => {
      let ours: Uint8Array | null;
      try {
        ours = lzo1xDecompress(stream, PAGE);
      } catch (error) {
        expect(isVmcoreError(error, 'VMCORE_CODEC')).toBe(true);
        ours = null;
      }
      if (verdicts[i] === null) {
        expect(ours, `stream ${i}: liblzo2 rejects it`).toBeNull();
      } else {
        accepted++;
        expect(ours, `stream ${i}: liblzo2 accepts it`).not.toBeNull();
        expect(equalBytes(ours!, verdicts[i]!), `stream ${i}`).toBe(true);
      }
    });
    // Most single-byte changes inside literals still decode: both paths are exercised.
    expect(accepted).toBeGreaterThan(300);
    expect(accepted).toBeLessThan(streams.length - 300);
  });

  it('rejects a stream with bytes after the end marker', () => {
    const packed = lzo1xCompress(real[0]!);
    const extra = new Uint8Array([...packed, 0]);
    expect(() => lzo1xDecompress(extra, PAGE)).toThrow(/1 bytes after the end marker/);
    expect(native('unlzo', [extra])[0]).toBeNull();
  });

  it('rejects a match reaching before the start of the output', () => {
    // One literal ('A'), an M2 match 9 bytes back, the end marker.
    const bad = new Uint8Array([0x12, 0x41, 0x40, 0x01, 0x11, 0x00, 0x00]);
    try {
      lzo1xDecompress(bad, PAGE);
      expect.unreachable();
    } catch (error) {
      expect(isVmcoreError(error, 'VMCORE_CODEC')).toBe(true);
      expect((error as Error).message).toMatch(/^lzo: match at output 1 reaches 9 bytes back/);
    }
    expect(native('unlzo', [bad])[0]).toBeNull();
  });

  it('refuses output beyond the limit instead of growing', () => {
    const packed = lzo1xCompress(new Uint8Array(PAGE * 2));
    expect(() => lzo1xDecompress(packed, PAGE)).toThrow(/expands beyond 4096 bytes/);
  });
});
