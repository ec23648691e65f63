import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultZlib, nodeZlib, pakoZlib, zlibCompress, zlibDecompress, type ZlibBackend } from '../src/index.js';
import { anyPage } from './arbitraries.js';
import { PAGE, equalBytes, native, randomPage, realPages } from './helpers.js';

const node = nodeZlib();
const real = realPages(200);
const samples = [...real, new Uint8Array(PAGE), new Uint8Array(PAGE).fill(7), randomPage(5)];

describe('zlib (compress2 level 1)', () => {
  it('uses node:zlib in Node', () => {
    expect(node?.name).toBe('node');
    expect(defaultZlib()).toBe(node);
  });

  it.each([
    ['node', node!],
    ['pako', pakoZlib],
  ] as Array<[string, ZlibBackend]>)('%s writes a zlib header for level 1 and round-trips any page', (_, backend) => {
    expect([...backend.compress(real[0]!).subarray(0, 2)]).toEqual([0x78, 0x01]);
    fc.assert(
      fc.property(anyPage, (page) => {
        expect(equalBytes(backend.decompress(backend.compress(page), PAGE), page)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('node:zlib and pako decode each other’s streams', () => {
    for (const page of samples) {
      expect(equalBytes(pakoZlib.decompress(node!.compress(page), PAGE), page)).toBe(true);
      expect(equalBytes(node!.decompress(pakoZlib.compress(page), PAGE), page)).toBe(true);
    }
  });

  it('writes streams the system zlib inflates, and inflates what system zlib compress2(level 1) writes', () => {
    for (const backend of [node!, pakoZlib]) {
      const decoded = native(
        'unzlib',
        samples.map((p) => backend.compress(p)),
      );
      decoded.forEach((page, i) => expect(equalBytes(page!, samples[i]!), `${backend.name} sample ${i}`).toBe(true));
    }
    const theirs = native('zlib', samples);
    theirs.forEach((packed, i) => {
      expect([...packed!.subarray(0, 2)]).toEqual([0x78, 0x01]);
      expect(equalBytes(zlibDecompress(packed!, PAGE, node), samples[i]!)).toBe(true);
      expect(equalBytes(zlibDecompress(packed!, PAGE, pakoZlib), samples[i]!)).toBe(true);
    });
  });

  it.each([
    ['node', node!],
    ['pako', pakoZlib],
  ] as Array<[string, ZlibBackend]>)('%s stops at the output limit instead of growing', (_, backend) => {
    const packed = zlibCompress(new Uint8Array(PAGE * 64), backend);
    expect(() => backend.decompress(packed, PAGE)).toThrow(/^zlib: stream expands beyond 4096 bytes$/);
    // Limits above one chunk (64 KiB) are counted across chunks.
    const big = new Uint8Array(200_000).fill(5);
    expect(backend.decompress(zlibCompress(big, backend), 200_000).length).toBe(200_000);
    expect(() => backend.decompress(zlibCompress(big, backend), 199_999)).toThrow(/expands beyond 199999 bytes/);
    // Exactly the limit is fine.
    expect(backend.decompress(zlibCompress(new Uint8Array(PAGE), backend), PAGE).length).toBe(PAGE);
  });

  it.each([
    ['node', node!],
    ['pako', pakoZlib],
  ] as Array<[string, ZlibBackend]>)('%s rejects a bad checksum and a gzip stream', (_, backend) => {
    const packed = backend.compress(real[1]!);
    const badSum = packed.slice();
    badSum[badSum.length - 1]! ^= 1;
    expect(() => backend.decompress(badSum, PAGE)).toThrow(/^zlib: bad stream/);
    const gzip = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => backend.decompress(gzip, PAGE)).toThrow(/^zlib: bad stream/);
  });
});
