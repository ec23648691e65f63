import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isVmcoreError, parseNotes, VmcoreErrorCode } from '@vmcore/bytes';
import { encodeVmcoreinfoNote, parseVmcoreinfo, vmcoreinfoText } from '../src/index.js';

const linux61 = readFileSync(new URL('./fixtures/linux-6.1-x86_64.vmcoreinfo.txt', import.meta.url), 'latin1');

describe('parseVmcoreinfo on a Linux 6.1 x86_64 note', () => {
  const info = parseVmcoreinfo(linux61);

  it('reads OSRELEASE, BUILD-ID, PAGESIZE and KERNELOFFSET (hex without 0x)', () => {
    expect(info.osrelease).toBe('6.1.0-27-amd64');
    expect(info.buildId).toBe('b4d2f7a1c3e5986a0d1f2e3c4b5a69788796a5b4');
    expect(info.pageSize).toBe(4096);
    expect(info.kernelOffset).toBe(0x9a0_0000n);
    expect(info.crashtime).toBeUndefined();
  });

  it('reads NUMBER() as the signed decimal the kernel prints with %ld', () => {
    expect(info.numbers.get('phys_base')).toBe(-71303168n);
    expect(info.numbers.get('PAGE_BUDDY_MAPCOUNT_VALUE')).toBe(-129n);
    expect(info.numbers.get('KERNEL_IMAGE_SIZE')).toBe(1073741824n);
    expect(info.numbers.get('pgtable_l5_enabled')).toBe(0n);
  });

  it('reads SYMBOL() as hex addresses without 0x', () => {
    expect(info.symbols.get('_stext')).toBe(0xffff_ffff_8aa0_0000n);
    expect(info.symbols.get('init_top_pgt')).toBe(0xffff_ffff_8be0_a000n);
    expect(info.symbols.get('mem_section')).toBe(0xffff_9d5e_3fff_9000n);
  });

  it('reads OFFSET/SIZE/LENGTH as unsigned decimal', () => {
    expect(info.offsets.get('page._refcount')).toBe(52);
    expect(info.offsets.get('pglist_data.node_id')).toBe(172192);
    expect(info.sizes.get('page')).toBe(64);
    expect(info.lengths.get('zone.free_area')).toBe(11);
    expect(info.lengths.get('mem_section')).toBe(2048);
  });

  it('keeps every KEY=VALUE line in order as written', () => {
    const lines = linux61.split('\n').filter((l) => l !== '');
    expect(info.entries.length).toBe(lines.length);
    expect(info.entries[0]).toEqual({ key: 'OSRELEASE', value: '6.1.0-27-amd64' });
    expect(info.entries.map((e) => `${e.key}=${e.value}`)).toEqual(lines);
  });

  it('round-trips through a VMCOREINFO note', () => {
    const [note] = parseNotes(encodeVmcoreinfoNote(linux61), 'le');
    expect(parseVmcoreinfo(vmcoreinfoText(note!.desc))).toEqual(info);
  });
});

describe('parseVmcoreinfo, other writers and hostile text', () => {
  it('reads arm64 NUMBER(PHYS_OFFSET) and NUMBER(kimage_voffset) as 0x-hex and VA_BITS as decimal', () => {
    const info = parseVmcoreinfo(
      'OSRELEASE=6.1.0-27-arm64\nPAGESIZE=4096\nNUMBER(VA_BITS)=48\nNUMBER(kimage_voffset)=0xffff800037e00000\nNUMBER(PHYS_OFFSET)=0x40000000\nKERNELOFFSET=2fe00000\nNUMBER(TCR_EL1_T1SZ)=16\n',
    );
    expect(info.numbers.get('PHYS_OFFSET')).toBe(0x4000_0000n);
    expect(info.numbers.get('kimage_voffset')).toBe(0xffff_8000_37e0_0000n);
    expect(info.numbers.get('VA_BITS')).toBe(48n);
    expect(info.kernelOffset).toBe(0x2fe0_0000n);
  });

  it('keeps unknown keys, CONFIG_ flags and CRASHTIME (old kernels end it without a newline)', () => {
    const info = parseVmcoreinfo('OSRELEASE=2.6.32\nPAGE_OFFSET=ffff880000000000\nCONFIG_X86_PAE=y\nCRASHTIME=1700000000');
    expect(info.entries).toEqual([
      { key: 'OSRELEASE', value: '2.6.32' },
      { key: 'PAGE_OFFSET', value: 'ffff880000000000' },
      { key: 'CONFIG_X86_PAE', value: 'y' },
      { key: 'CRASHTIME', value: '1700000000' },
    ]);
    expect(info.configs.get('X86_PAE')).toBe('y');
    expect(info.crashtime).toBe(1700000000);
  });

  it('leaves missing keys undefined instead of inventing values', () => {
    const info = parseVmcoreinfo('SYMBOL(_stext)=ffffffff81000000\n');
    expect(info.osrelease).toBeUndefined();
    expect(info.pageSize).toBeUndefined();
    expect(info.kernelOffset).toBeUndefined();
    expect(info.numbers.has('phys_base')).toBe(false);
    expect(parseVmcoreinfo('').entries).toEqual([]);
  });

  it('keeps the first value of a key that appears twice, as makedumpfile and QEMU do', () => {
    const info = parseVmcoreinfo('NUMBER(phys_base)=0\nNUMBER(phys_base)=-71303168\n');
    expect(info.numbers.get('phys_base')).toBe(0n);
    expect(info.entries.length).toBe(2);
  });

  it('rejects values that do not match how the kernel writes the key, naming the line', () => {
    const cases: [string, RegExp][] = [
      ['OSRELEASE=x\nSYMBOL(_stext)=zz\n', /^VMCOREINFO line 2: SYMBOL\(_stext\)="zz" is not a hexadecimal u64$/],
      ['OFFSET(page.flags)=-1\n', /OFFSET\(page\.flags\)="-1" is not an unsigned decimal number/],
      ['NUMBER(phys_base)=12abc\n', /NUMBER\(phys_base\)="12abc" is not a decimal long/],
      ['NUMBER(phys_base)=99999999999999999999\n', /is not a decimal long/],
      ['PAGESIZE=\n', /PAGESIZE="" is not an unsigned decimal/],
      ['KERNELOFFSET=fffffffffffffffff\n', /is not a hexadecimal u64/],
      ['OSRELEASE=x\ngarbage\n', /^VMCOREINFO line 2: "garbage" is not KEY=VALUE$/],
      ['=5\n', /"=5" is not KEY=VALUE/],
    ];
    for (const [text, message] of cases) {
      try {
        parseVmcoreinfo(text);
        expect.unreachable(text);
      } catch (error) {
        expect(isVmcoreError(error, VmcoreErrorCode.Corrupt)).toBe(true);
        expect((error as Error).message).toMatch(message);
      }
    }
  });
});

describe('vmcoreinfoText', () => {
  const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

  it('drops trailing NUL padding', () => {
    expect(vmcoreinfoText(bytes('OSRELEASE=6.1\n\0\0\0'))).toBe('OSRELEASE=6.1\n');
  });

  it('rejects a NUL in the middle of the text, naming the offset', () => {
    expect(() => vmcoreinfoText(bytes('OSRELEASE=6.1\n\0PAGESIZE=4096\n'))).toThrowError(
      'VMCOREINFO descriptor: NUL byte at offset 14 with more text after it',
    );
  });

  it('rejects control and non-ASCII bytes', () => {
    expect(() => vmcoreinfoText(bytes('OSRELEASE=6.1\r\n'))).toThrowError('VMCOREINFO descriptor: byte 0x0d at offset 13 is not text');
    expect(() => vmcoreinfoText(new Uint8Array([0x4f, 0xff]))).toThrowError(/byte 0xff at offset 1/);
  });
});

describe("parseVmcoreinfo on the reference guest's own note (Debian 6.1.0-56-amd64, from QEMU 7.2's ELF)", () => {
  const real = readFileSync(new URL('./fixtures/linux-6.1.0-56-amd64-seabios.vmcoreinfo.txt', import.meta.url), 'latin1');
  const info = parseVmcoreinfo(real);

  it('reads every one of its 109 lines', () => {
    expect(info.entries.length).toBe(109);
    expect(info.osrelease).toBe('6.1.0-56-amd64');
    expect(info.pageSize).toBe(4096);
  });

  it('has _stext = 0xffffffff81000000 + KERNELOFFSET, and phys_base in signed decimal', () => {
    expect(info.kernelOffset).toBe(0x12a0_0000n);
    expect(info.symbols.get('_stext')).toBe(0xffff_ffff_8100_0000n + info.kernelOffset!);
    expect(info.numbers.get('phys_base')).toBe(-186646528n);
    expect(info.symbols.get('init_top_pgt')).toBe(info.symbols.get('swapper_pg_dir'));
  });
});
