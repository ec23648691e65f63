// Mutated streams decoded by us and by the native library: same page, or both reject.
// (LZO's version of this lives in lzo.test.ts.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVmcoreError } from '@vmcore/bytes';
import { nodeZlib, pakoZlib, snappyCompress, snappyDecompress } from '../src/index.js';
import { PAGE, equalBytes, native, realPages, type NativeOp } from './helpers.js';

const pages = realPages(120);

function mutations(streams: Uint8Array[]): Uint8Array[] {
  const edits = fc.sample(
    fc.record({ stream: fc.nat(streams.length - 1), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), cut: fc.nat(8) }),
    { numRuns: 2000, seed: 11 },
  );
  return edits.map(({ stream, at, value, cut }) => {
    const s = streams[stream]!.slice();
    s[at % s.length] = value;
    return s.subarray(0, s.length - (cut < 2 ? cut + 1 : 0));
  });
}

function agree(name: string, decode: (data: Uint8Array) => Uint8Array, streams: Uint8Array[], op: NativeOp): number {
  const verdicts = native(op, streams);
  let accepted = 0;
  streams.forEach((stream, i) => {
    let ours: Uint8Array | null;
    try {
      ours = decode(stream);
    } catch (error) {
      expect(isVmcoreError(error, 'VMCORE_CODEC'), `${name} ${i}: ${String(error)}`).toBe(true);
      ours = null;
    }
    const theirs = verdicts[i];
    if (theirs === null || theirs === undefined) {
      expect(ours, `${name} stream ${i}: the native library rejects it`).toBeNull();
    } else if (theirs.length <= PAGE) {
      accepted++;
      expect(ours !== null && equalBytes(ours, theirs), `${name} stream ${i}: the native library decodes it`).toBe(true);
    } else {
      expect(ours, `${name} stream ${i}: more than a page`).toBeNull();
    }
  });
  return accepted;
}

describe('differential decoding against the native libraries', () => {
  it('snappy: our decoder and libsnappy agree on mutated blocks', () => {
    const streams = [...mutations(pages.map((p) => snappyCompress(p))), ...mutations(native('snappy', pages).map((c) => c!))];
    const accepted = agree('snappy', (d) => snappyDecompress(d, PAGE), streams, 'unsnappy');
    expect(accepted).toBeGreaterThan(200);
  });

  it('zlib: node:zlib, pako and the system zlib agree on mutated streams', () => {
    const streams = mutations(native('zlib', pages).map((c) => c!));
    const a = agree('node', (d) => nodeZlib()!.decompress(d, PAGE), streams, 'unzlib');
    const b = agree('pako', (d) => pakoZlib.decompress(d, PAGE), streams, 'unzlib');
    expect(a).toBe(b);
    expect(a).toBeGreaterThan(5); // few: adler32 catches most changes
  });
});
