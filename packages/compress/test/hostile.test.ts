import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVmcoreError } from '@vmcore/bytes';
import { PAGE_CODECS, compressWith, lzo1xDecompress, nodeZlib, pakoZlib, snappyDecompress, type PageCodec } from '../src/index.js';
import { anyPage } from './arbitraries.js';
import { PAGE } from './helpers.js';

// Low-level decoders with a page-size limit: hostile input either decodes to at most a page
// or throws VMCORE_CODEC; nothing else (no RangeError, no hang, no out-of-bounds result).
const decoders: Record<string, { codec: PageCodec; decode: (data: Uint8Array, max: number) => Uint8Array }> = {
  lzo: { codec: 'lzo', decode: lzo1xDecompress },
  snappy: { codec: 'snappy', decode: snappyDecompress },
  'zlib (node)': { codec: 'zlib', decode: (d, m) => nodeZlib()!.decompress(d, m) },
  'zlib (pako)': { codec: 'zlib', decode: (d, m) => pakoZlib.decompress(d, m) },
};

function decodesSafely(decode: (data: Uint8Array, max: number) => Uint8Array, data: Uint8Array, limit: number): void {
  try {
    const out = decode(data, limit);
    expect(out).toBeInstanceOf(Uint8Array);
    expect(out.length).toBeLessThanOrEqual(limit);
  } catch (error) {
    if (!isVmcoreError(error, 'VMCORE_CODEC')) throw error;
    expect((error as Error).message).toMatch(/^(lzo|snappy|zlib): /);
  }
}

const mutation = fc.record({
  at: fc.nat(),
  value: fc.integer({ min: 0, max: 255 }),
  kind: fc.constantFrom('set', 'insert', 'delete'),
});

function mutate(data: Uint8Array, edits: Array<{ at: number; value: number; kind: string }>): Uint8Array {
  let out = data;
  for (const { at, value, kind } of edits) {
    const i = out.length === 0 ? 0 : at % out.length;
    if (kind === 'set' && out.length > 0) {
      out = out.slice();
      out[i] = value;
    } else if (kind === 'insert') {
      out = new Uint8Array([...out.subarray(0, i), value, ...out.subarray(i)]);
    } else {
      out = new Uint8Array([...out.subarray(0, i), ...out.subarray(i + 1)]);
    }
  }
  return out;
}

describe.each(Object.entries(decoders))('hostile input to %s', (_, { codec, decode }) => {
  it('every truncation of a valid stream decodes to at most a page or throws VMCORE_CODEC', () => {
    fc.assert(
      fc.property(anyPage, (page) => {
        const packed = compressWith(codec, page);
        for (let n = 0; n < packed.length; n += Math.max(1, packed.length >> 6)) decodesSafely(decode, packed.subarray(0, n), PAGE);
      }),
      { numRuns: 40 },
    );
  });

  it('mutated streams decode to at most a page or throw VMCORE_CODEC', () => {
    fc.assert(
      fc.property(anyPage, fc.array(mutation, { minLength: 1, maxLength: 4 }), (page, edits) => {
        decodesSafely(decode, mutate(compressWith(codec, page), edits), PAGE);
      }),
      { numRuns: 400 },
    );
  });

  it('arbitrary bytes decode to at most a page or throw VMCORE_CODEC', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => decodesSafely(decode, data, PAGE)),
      { numRuns: 400 },
    );
  });

  it('a valid stream of a larger page is refused at a smaller limit', () => {
    const packed = compressWith(codec, new Uint8Array(PAGE * 4).fill(3));
    expect(() => decode(packed, PAGE)).toThrow(expect.objectContaining({ code: 'VMCORE_CODEC' }));
  });
});

describe('all codecs', () => {
  it('covers every page codec', () => {
    expect(new Set(Object.values(decoders).map((d) => d.codec))).toEqual(new Set(PAGE_CODECS));
  });
});
