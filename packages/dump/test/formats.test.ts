import { describe, expect, it } from 'vitest';
import { DUMP_FORMATS, formatSpec, parseDumpFormat } from '../src/index.js';

describe('DUMP_FORMATS', () => {
  it("lists QEMU's DumpGuestMemoryFormat names in the QAPI schema's order", () => {
    expect(DUMP_FORMATS).toEqual([
      'elf',
      'kdump-zlib',
      'kdump-lzo',
      'kdump-snappy',
      'kdump-raw-zlib',
      'kdump-raw-lzo',
      'kdump-raw-snappy',
      'win-dmp',
    ]);
  });

  it('marks kdump-* as flattened (streamable) and kdump-raw-* as needing positioned writes', () => {
    expect(formatSpec('kdump-lzo')).toMatchObject({ kind: 'kdump', codec: 'lzo', flattened: true, streamable: true });
    expect(formatSpec('kdump-raw-snappy')).toMatchObject({ kind: 'kdump', codec: 'snappy', flattened: false, streamable: false });
    expect(formatSpec('elf')).toMatchObject({ kind: 'elf', streamable: true });
  });

  it('rejects an unknown format name and lists the accepted ones', () => {
    expect(() => parseDumpFormat('kdump-zstd')).toThrow(/unknown dump format 'kdump-zstd' \(expected one of: elf, kdump-zlib/);
  });
});

describe('availableFormats', () => {
  it('offers win-dmp only for x86_64 guests, like QEMU built for x86_64', async () => {
    const { availableFormats } = await import('../src/index.js');
    expect(availableFormats('x86_64')).toContain('win-dmp');
    expect(availableFormats('aarch64')).toEqual(DUMP_FORMATS.filter((f) => f !== 'win-dmp'));
  });
});
