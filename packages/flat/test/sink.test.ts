import { describe, expect, it } from 'vitest';
import { FlattenedSink, isFlattened, FLAT_HEADER_SIZE } from '../src/index.js';
import { CollectSink, be64, concat } from './helpers.js';

describe('FlattenedSink', () => {
  it('writes the 4096-byte makedumpfile header: NUL-padded signature, type 1, version 1 big-endian, rest zero', async () => {
    const out = new CollectSink();
    const sink = new FlattenedSink(out);
    await sink.finish();
    const bytes = out.bytes();
    expect(bytes.length).toBe(FLAT_HEADER_SIZE + 16);
    expect(new TextDecoder().decode(bytes.subarray(0, 12))).toBe('makedumpfile');
    expect(bytes.subarray(12, 16)).toEqual(new Uint8Array(4));
    expect(bytes.subarray(16, 24)).toEqual(be64(1n));
    expect(bytes.subarray(24, 32)).toEqual(be64(1n));
    expect(bytes.subarray(32, FLAT_HEADER_SIZE).every((b) => b === 0)).toBe(true);
    expect(bytes.subarray(FLAT_HEADER_SIZE)).toEqual(concat(be64(-1n), be64(-1n)));
  });

  it('emits each positioned write as a big-endian (offset, size) record followed by the data', async () => {
    const out = new CollectSink();
    const sink = new FlattenedSink(out);
    await sink.write(0x1234, Uint8Array.of(1, 2, 3));
    const big = new Uint8Array(200_000).fill(7);
    await sink.write(5, big);
    await sink.finish();
    const bytes = out.bytes().subarray(FLAT_HEADER_SIZE);
    expect(bytes.subarray(0, 19)).toEqual(concat(be64(0x1234n), be64(3n), Uint8Array.of(1, 2, 3)));
    expect(bytes.subarray(19, 35)).toEqual(concat(be64(5n), be64(200_000n)));
    expect(Buffer.compare(bytes.subarray(35, 35 + big.length), big)).toBe(0);
    expect(bytes.subarray(35 + big.length)).toEqual(concat(be64(-1n), be64(-1n)));
    expect(sink.records).toBe(2);
    expect(sink.bytesWritten).toBe(FLAT_HEADER_SIZE + bytes.length);
  });

  it('skips empty writes, because libkdumpfile rejects zero-size records', async () => {
    const out = new CollectSink();
    const sink = new FlattenedSink(out);
    await sink.write(10, new Uint8Array(0));
    await sink.finish();
    expect(out.bytes().length).toBe(FLAT_HEADER_SIZE + 16);
    expect(sink.records).toBe(0);
  });

  it('finish() is idempotent and later writes are refused', async () => {
    const out = new CollectSink();
    const sink = new FlattenedSink(out);
    await sink.finish();
    await sink.finish();
    expect(out.bytes().length).toBe(FLAT_HEADER_SIZE + 16);
    await expect(sink.write(0, Uint8Array.of(1))).rejects.toMatchObject({ code: 'VMCORE_INVALID_ARGUMENT' });
  });

  it('refuses negative and non-integer offsets', async () => {
    const sink = new FlattenedSink(new CollectSink());
    await expect(sink.write(-1, Uint8Array.of(1))).rejects.toMatchObject({ code: 'VMCORE_INVALID_ARGUMENT' });
    await expect(sink.write(1.5, Uint8Array.of(1))).rejects.toMatchObject({ code: 'VMCORE_INVALID_ARGUMENT' });
  });

  it('close() finishes and closes the underlying sink', async () => {
    let closed = false;
    const out = new CollectSink();
    const sink = new FlattenedSink(
      Object.assign(out, {
        close: async () => {
          closed = true;
        },
      }),
    );
    await sink.close();
    expect(closed).toBe(true);
    expect(out.bytes().length).toBe(FLAT_HEADER_SIZE + 16);
  });
});

describe('isFlattened', () => {
  it('recognises the header and rejects kdump, ELF and short inputs', async () => {
    const out = new CollectSink();
    await new FlattenedSink(out).finish();
    expect(isFlattened(out.bytes())).toBe(true);
    expect(isFlattened(out.bytes().subarray(0, 16))).toBe(true);
    expect(isFlattened(new TextEncoder().encode('KDUMP   \x06\x00\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxx'))).toBe(false);
    expect(isFlattened(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46))).toBe(false);
    expect(isFlattened(new TextEncoder().encode('makedumpfile'))).toBe(false);
    const wrongType = out.bytes().slice();
    wrongType[23] = 2;
    expect(isFlattened(wrongType)).toBe(false);
  });
});
