import { describe, expect, it } from 'vitest';
import { defineStruct, isVmcoreError, VmcoreErrorCode, MemorySink, MemorySource, readExact } from '../src/index.js';

const Example = defineStruct('example', [
  ['magic', { chars: 8 }],
  ['version', 'u32'],
  ['flags', 'u16'],
  ['pad', 'u16'],
  ['offset', 'u64'],
  ['delta', 'i64'],
  ['blob', { bytes: 3 }],
] as const);

describe('defineStruct', () => {
  it('computes packed size and offsets like a QEMU_PACKED C struct', () => {
    expect(Example.size).toBe(8 + 4 + 2 + 2 + 8 + 8 + 3);
    expect(Example.offsets.offset).toBe(16);
    expect(Example.offsets.blob).toBe(32);
  });

  it('round-trips in both byte orders, with 64-bit fields as bigint', () => {
    for (const endian of ['le', 'be'] as const) {
      const value = {
        magic: 'KDUMP',
        version: 6,
        flags: 0xbeef,
        pad: 0,
        offset: 0x1_0000_0000_1234n,
        delta: -5n,
        blob: new Uint8Array([1, 2, 3]),
      };
      const bytes = Example.encode(value, endian);
      expect(Example.decode(bytes, endian)).toEqual(value);
    }
  });

  it('puts the most significant byte first for big-endian fields', () => {
    const bytes = Example.encode({ version: 0x01020304 }, 'be');
    expect([...bytes.subarray(8, 12)]).toEqual([1, 2, 3, 4]);
    const le = Example.encode({ version: 0x01020304 }, 'le');
    expect([...le.subarray(8, 12)]).toEqual([4, 3, 2, 1]);
  });

  it('rejects decoding past the end with a truncation error', () => {
    try {
      Example.decode(new Uint8Array(10), 'le');
      expect.unreachable();
    } catch (error) {
      expect(isVmcoreError(error, VmcoreErrorCode.Truncated)).toBe(true);
      expect((error as Error).message).toContain('example: needs 35 bytes');
    }
  });

  it('rejects a string that does not fit its char array', () => {
    expect(() => Example.encode({ magic: 'too long for eight' }, 'le')).toThrow(/18 bytes do not fit in 8/);
  });
});

describe('memory source and sink', () => {
  it('fills gaps of positioned writes with zeros', async () => {
    const sink = new MemorySink();
    await sink.write(4, new Uint8Array([9, 9]));
    await sink.write(new Uint8Array([7]));
    expect([...sink.bytesCopy()]).toEqual([0, 0, 0, 0, 9, 9, 7]);
  });

  it('readExact names the source when the data is short', async () => {
    const source = new MemorySource(new Uint8Array(8), 'tiny.bin');
    await expect(readExact(source, 4, 8, 'header')).rejects.toThrow(/tiny\.bin: header: needs bytes 4\.\.12 but only 8/);
    expect((await readExact(source, 0, 8, 'all')).length).toBe(8);
  });
});
