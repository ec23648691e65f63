import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeNote } from '@vmcore/bytes';
import {
  encodeVmcoreinfoNote,
  parseVmcoreinfo,
  physBaseFromVmcoreinfo,
  qemuPhysBaseFromVmcoreinfo,
  resolvePhysBase,
  type PhysBaseArch,
  type Translate,
} from '../src/index.js';
import { FakeRam } from './helpers.js';

const linux61 = readFileSync(new URL('./fixtures/linux-6.1-x86_64.vmcoreinfo.txt', import.meta.url), 'latin1');
const U64_PHYS_BASE = 0xffff_ffff_fbc0_0000n; // -71303168 as the kernel's unsigned long
/** The rules guest-mem's x86_64 and aarch64 modules give (a contract test there checks they are these). */
const X86_64: PhysBaseArch = {
  name: 'x86_64',
  physBaseKey: 'phys_base',
  image: { start: 0xffff_ffff_8000_0000n, size: 1n << 30n, textOffset: 0x100_0000n, align: 1n << 21n },
};
const AARCH64: PhysBaseArch = { name: 'aarch64', physBaseKey: 'PHYS_OFFSET' };
const X86_64_START_KERNEL_MAP = X86_64.image!.start;
const unmapped: Translate = async () => undefined;

describe('phys_base from VMCOREINFO', () => {
  it('reads x86_64 NUMBER(phys_base) as signed decimal and stores it as the u64 the kernel holds', () => {
    expect(physBaseFromVmcoreinfo(parseVmcoreinfo(linux61), X86_64)).toBe(U64_PHYS_BASE);
    expect(BigInt.asIntN(64, U64_PHYS_BASE)).toBe(-71303168n);
    expect(physBaseFromVmcoreinfo(parseVmcoreinfo('NUMBER(phys_base)=0\n'), X86_64)).toBe(0n);
    expect(physBaseFromVmcoreinfo(parseVmcoreinfo('NUMBER(phys_base)=16777216\n'), X86_64)).toBe(0x100_0000n);
  });

  it('reads arm64 NUMBER(PHYS_OFFSET) as 0x-hex', () => {
    expect(physBaseFromVmcoreinfo(parseVmcoreinfo('NUMBER(PHYS_OFFSET)=0x40000000\n'), AARCH64)).toBe(0x4000_0000n);
  });

  it('has no phys_base for other arches or without the key', () => {
    expect(physBaseFromVmcoreinfo(parseVmcoreinfo(linux61), { name: 'ppc64' })).toBeUndefined();
    expect(physBaseFromVmcoreinfo(parseVmcoreinfo('OSRELEASE=6.1\n'), X86_64)).toBeUndefined();
  });

  it('shows what QEMU writes instead: the decimal text parsed as hex', () => {
    expect(qemuPhysBaseFromVmcoreinfo(linux61, X86_64)).toBe(0xffff_ffff_8ecf_ce98n);
    expect(qemuPhysBaseFromVmcoreinfo('NUMBER(phys_base)=-333447168\n', X86_64)).toBe(0xffff_fffc_ccbb_8e98n);
    expect(qemuPhysBaseFromVmcoreinfo('NUMBER(phys_base)=0\n', X86_64)).toBe(0n);
    expect(qemuPhysBaseFromVmcoreinfo('NUMBER(PHYS_OFFSET)=0x40000000\n', AARCH64)).toBe(0x4000_0000n);
    expect(qemuPhysBaseFromVmcoreinfo('NUMBER(phys_base)=12 \n', X86_64)).toBeUndefined();
    expect(qemuPhysBaseFromVmcoreinfo('OSRELEASE=x\0NUMBER(phys_base)=1\n', X86_64)).toBeUndefined();
  });
});

/**
 * A guest with the fixture kernel: _text at 0xffffffff8aa00000 loaded at 0x6600000, mapped by
 * 16 2 MiB pages (the page tables themselves are guest-mem's business: here only what a
 * translate function answers).
 */
async function guest(options: { noteAt?: number; note?: Uint8Array; tables?: boolean } = {}) {
  const ram = new FakeRam([
    { start: 0, size: 0x9_f000 },
    { start: 0x10_0000, size: 0x7f0_0000 },
  ]);
  if (options.noteAt !== undefined) ram.write(options.noteAt, options.note ?? encodeVmcoreinfoNote(linux61));
  const text = 0xffff_ffff_8aa0_0000n;
  const translate: Translate = async (virt) =>
    options.tables !== false && virt >= text && virt < text + 0x200_0000n ? 0x660_0000 + Number(virt - text) : undefined;
  return { ram, translate };
}

describe('resolvePhysBase', () => {
  it('(a) takes the guest note QEMU copied', async () => {
    const { ram, translate } = await guest();
    const result = await resolvePhysBase({
      arch: X86_64,
      guestNote: encodeVmcoreinfoNote(linux61),
      read: ram.read,
      blocks: ram.ranges,
      translate,
    });
    expect(result.value).toBe(U64_PHYS_BASE);
    expect(result.source).toBe('vmcoreinfo');
    expect(result.warning).toBeUndefined();
    expect(result.note).toBeUndefined();
    expect(result.vmcoreinfo?.osrelease).toBe('6.1.0-27-amd64');
    expect(ram.reads).toBe(0);
  });

  it('(b) scans guest memory when there is no guest note, and hands back the note it found', async () => {
    const { ram, translate } = await guest({ noteAt: 0x3a5_f000 });
    const result = await resolvePhysBase({ arch: X86_64, read: ram.read, blocks: ram.ranges, translate });
    expect(result).toMatchObject({
      value: U64_PHYS_BASE,
      source: 'vmcoreinfo-scan',
      notePhysAddr: 0x3a5_f000,
      note: encodeVmcoreinfoNote(linux61),
    });
    expect(result.warning).toBe('no guest VMCOREINFO note');
  });

  it('(b) skips notes left by an earlier boot (RAM survives a reset) when the page tables disagree with them', async () => {
    const otherBase = linux61.replace('NUMBER(phys_base)=-71303168', 'NUMBER(phys_base)=0');
    const otherText = linux61.replace('SYMBOL(_stext)=ffffffff8aa00000', 'SYMBOL(_stext)=ffffffff9c000000');
    const { ram, translate } = await guest({ noteAt: 0x20_0000, note: encodeVmcoreinfoNote(otherBase) });
    ram.write(0x30_0000, encodeVmcoreinfoNote(otherText));
    ram.write(0x3a5_f000, encodeVmcoreinfoNote(linux61));
    const result = await resolvePhysBase({ arch: X86_64, read: ram.read, blocks: ram.ranges, translate });
    expect(result).toMatchObject({ value: U64_PHYS_BASE, source: 'vmcoreinfo-scan', notePhysAddr: 0x3a5_f000 });
    expect(result.warning).toBe(
      'no guest VMCOREINFO note; ' +
        "VMCOREINFO at 0x200000 is not the running kernel's: phys_base 0x0, page tables say 0xfffffffffbc00000; " +
        "VMCOREINFO at 0x300000 is not the running kernel's: its _text 0xffffffff9c000000 is not mapped",
    );
  });

  it('(b) takes the first note when there are no page tables to check it against', async () => {
    const otherBase = linux61.replace('NUMBER(phys_base)=-71303168', 'NUMBER(phys_base)=0');
    const { ram } = await guest({ noteAt: 0x20_0000, note: encodeVmcoreinfoNote(otherBase) });
    const result = await resolvePhysBase({ arch: X86_64, read: ram.read, blocks: ram.ranges });
    expect(result).toMatchObject({ value: 0n, source: 'vmcoreinfo-scan', notePhysAddr: 0x20_0000 });
  });

  it('(c) walks the page tables when no VMCOREINFO exists anywhere', async () => {
    const { ram, translate } = await guest();
    const result = await resolvePhysBase({ arch: X86_64, read: ram.read, blocks: ram.ranges, translate });
    expect(result.value).toBe(U64_PHYS_BASE);
    expect(result.source).toBe('page-tables');
    expect(result.warning).toBe('no guest VMCOREINFO note; no VMCOREINFO note found in guest memory');
  });

  it('(c) uses page tables without scanning when given no RAM blocks', async () => {
    const { ram, translate } = await guest({ noteAt: 0x3a5_f000 });
    const result = await resolvePhysBase({ arch: X86_64, read: ram.read, translate });
    expect(result.source).toBe('page-tables');
    expect(result.value).toBe(U64_PHYS_BASE);
  });

  it('(c) after a guest note without NUMBER(phys_base), starting from its SYMBOL(_stext)', async () => {
    const { ram, translate } = await guest();
    const text = linux61.replace(/^NUMBER\(phys_base\)=.*\n/m, '');
    const result = await resolvePhysBase({
      arch: X86_64,
      guestNote: encodeVmcoreinfoNote(text),
      read: ram.read,
      translate,
      sources: ['vmcoreinfo', 'page-tables'],
    });
    expect(result.source).toBe('page-tables');
    expect(result.value).toBe(U64_PHYS_BASE);
    expect(result.warning).toBe('guest VMCOREINFO has no NUMBER(phys_base)');
    expect(result.vmcoreinfo?.symbols.get('_stext')).toBe(X86_64_START_KERNEL_MAP + 0xaa0_0000n);
  });

  it('(d) falls back to 0 with a warning that says what was missing', async () => {
    const { ram } = await guest({ tables: false });
    const result = await resolvePhysBase({ arch: X86_64, read: ram.read, blocks: ram.ranges, translate: unmapped });
    expect(result.value).toBe(0n);
    expect(result.source).toBe('default');
    expect(result.warning).toMatch(
      /^no guest VMCOREINFO note; no VMCOREINFO note found in guest memory; page tables: no usable mapping in 0xffffffff80000000..0xffffffffc0000000/,
    );
    expect(result.warning).toMatch(/; phys_base defaults to 0$/);
  });

  it('warns about a guest note that is not VMCOREINFO or is corrupt, and goes on', async () => {
    const { ram, translate } = await guest();
    const other = encodeNote({ name: 'Xen', type: 1, desc: new Uint8Array(4) }, 'le');
    const r1 = await resolvePhysBase({ arch: X86_64, guestNote: other, read: ram.read, translate });
    expect(r1.source).toBe('page-tables');
    expect(r1.warning).toMatch(/^guest note is "Xen", not VMCOREINFO/);
    const bad = encodeVmcoreinfoNote('OSRELEASE=6.1\nSYMBOL(_stext)=nothex\n');
    const r2 = await resolvePhysBase({ arch: X86_64, guestNote: bad, read: ram.read, translate });
    expect(r2.warning).toMatch(/^guest VMCOREINFO: VMCOREINFO line 2: SYMBOL\(_stext\)="nothex"/);
    const truncated = encodeVmcoreinfoNote(linux61).subarray(0, 30);
    const r3 = await resolvePhysBase({ arch: X86_64, guestNote: truncated, read: ram.read, translate });
    expect(r3.warning).toMatch(/^guest note: note at offset 0 has descsz 3011, past the end/);
    expect(r3.value).toBe(U64_PHYS_BASE);
  });

  it('does not take a note written with 64-bit header words (wrong layout) as VMCOREINFO', async () => {
    const desc = new TextEncoder().encode(linux61);
    const wide = new Uint8Array(24 + 12 + desc.length);
    const view = new DataView(wide.buffer);
    view.setBigUint64(0, 11n, true);
    view.setBigUint64(8, BigInt(desc.length), true);
    view.setBigUint64(16, 0n, true);
    wide.set(new TextEncoder().encode('VMCOREINFO\0'), 24);
    wide.set(desc, 36);
    const { ram, translate } = await guest();
    const result = await resolvePhysBase({ arch: X86_64, guestNote: wide, read: ram.read, translate, sources: ['vmcoreinfo'] });
    expect(result.source).toBe('default');
    expect(result.warning).toMatch(/^guest note/);
  });

  it('reads aarch64 PHYS_OFFSET from the guest note and does not walk x86 tables for it', async () => {
    const note = encodeVmcoreinfoNote('OSRELEASE=6.1.0-27-arm64\nNUMBER(PHYS_OFFSET)=0x40000000\n');
    expect(await resolvePhysBase({ arch: AARCH64, guestNote: note })).toMatchObject({ value: 0x4000_0000n, source: 'vmcoreinfo' });
    const none = await resolvePhysBase({ arch: AARCH64, sources: ['page-tables'] });
    expect(none).toMatchObject({
      value: 0n,
      source: 'default',
      warning: 'no kernel-image layout to read phys_base from aarch64 page tables; phys_base defaults to 0',
    });
  });
});
