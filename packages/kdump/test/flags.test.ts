import { describe, expect, it } from 'vitest';
import { isVmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import {
  CODEC_FLAGS,
  COMPRESSION_MASK,
  DUMP_DH_COMPRESSED_INCOMPLETE,
  DUMP_DH_COMPRESSED_LZO,
  DUMP_DH_COMPRESSED_SNAPPY,
  DUMP_DH_COMPRESSED_ZLIB,
  DUMP_DH_COMPRESSED_ZSTD,
  DUMP_DH_EXCLUDED_VMEMMAP,
  DUMP_DH_FLAGS,
  codecForFlags,
  statusCodecs,
} from '../src/index.js';

describe('the disk_dump_header status / page_desc flags table', () => {
  it("uses makedumpfile's bits (diskdump_mod.h)", () => {
    expect([
      DUMP_DH_COMPRESSED_ZLIB,
      DUMP_DH_COMPRESSED_LZO,
      DUMP_DH_COMPRESSED_SNAPPY,
      DUMP_DH_COMPRESSED_INCOMPLETE,
      DUMP_DH_EXCLUDED_VMEMMAP,
      DUMP_DH_COMPRESSED_ZSTD,
    ]).toEqual([0x1, 0x2, 0x4, 0x8, 0x10, 0x20]);
    expect(CODEC_FLAGS).toEqual({ zlib: 1, lzo: 2, snappy: 4, zstd: 0x20 });
    expect(COMPRESSION_MASK).toBe(0x27);
    expect(DUMP_DH_FLAGS.map((f) => f.name)).toEqual(['zlib', 'lzo', 'snappy', 'incomplete', 'excluded_vmemmap', 'zstd']);
  });

  it('names the codec of a page descriptor, none for a raw page, and refuses two', () => {
    expect(codecForFlags(0, 'd')).toBeUndefined();
    expect(codecForFlags(4, 'd')).toBe('snappy');
    expect(codecForFlags(0x20 | 0x8, 'd')).toBe('zstd');
    let error: unknown;
    try {
      codecForFlags(3, 'page descriptor 7');
    } catch (e) {
      error = e;
    }
    expect(isVmcoreError(error, VmcoreErrorCode.Corrupt)).toBe(true);
    expect((error as Error).message).toBe('page descriptor 7: flags 0x3 name more than one codec');
  });

  it('lists the codecs a header status names, ignoring the other bits', () => {
    expect(statusCodecs(DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_INCOMPLETE)).toEqual(['zlib']);
    expect(statusCodecs(0x21)).toEqual(['zlib', 'zstd']);
    expect(statusCodecs(0x10)).toEqual([]);
  });
});
