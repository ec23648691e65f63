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
  it('offers win-dmp only where qemu-system-x86_64 serves the guest, like QEMU built for TARGET_X86_64', async () => {
    const { availableFormats } = await import('../src/index.js');
    expect(availableFormats({ arch: 'x86_64' })).toContain('win-dmp');
    // an i386 guest runs under qemu-system-x86_64 unless its description records qemu-system-i386
    expect(availableFormats({ arch: 'i386' })).toContain('win-dmp');
    expect(availableFormats({ arch: 'i386', qemuTarget: 'x86_64' })).toContain('win-dmp');
    expect(availableFormats({ arch: 'i386', qemuTarget: 'i386' })).toEqual(DUMP_FORMATS.filter((f) => f !== 'win-dmp'));
    expect(availableFormats({ arch: 'aarch64' })).toEqual(DUMP_FORMATS.filter((f) => f !== 'win-dmp'));
  });
  it('refuses win-dmp for an i386 guest recorded under qemu-system-i386 with QEMU 7.2 text', async () => {
    const { planDump, DumpRefusal } = await import('../src/index.js');
    const guest = { arch: 'i386', qemuTarget: 'i386' as const, blocks: [{ start: 0, size: 1 << 20 }] };
    expect(() => planDump({ format: 'win-dmp', guest })).toThrow(DumpRefusal);
    expect(() => planDump({ format: 'win-dmp', guest })).toThrow('Windows dump is only available for x86-64');
    // under qemu-system-x86_64 the arch check passes and the (missing) Windows header is what fails
    expect(() => planDump({ format: 'win-dmp', guest: { ...guest, qemuTarget: 'x86_64' } })).toThrow(
      'win-dump: invalid vmcoreinfo note size',
    );
  });
});
