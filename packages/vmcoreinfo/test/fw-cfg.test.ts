import { describe, expect, it } from 'vitest';
import { encodeNote, isVmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import {
  acceptFwCfgWrite,
  decodeFwCfgVmcoreinfo,
  encodeFwCfgVmcoreinfo,
  encodeVmcoreinfoNote,
  FW_CFG_VMCOREINFO_SIZE,
  MAX_GUEST_NOTE_SIZE,
  readGuestNoteFromEntry,
  resetFwCfgVmcoreinfo,
  VMCOREINFO_FORMAT_ELF,
  VMCOREINFO_FORMAT_NONE,
  type FwCfgVmcoreinfoState,
} from '../src/index.js';
import { FakeRam } from './helpers.js';

const x86 = { elfClass: 64, endian: 'le' } as const;

function guestWrites(entry: { guestFormat: number; size: number; paddr: bigint }): FwCfgVmcoreinfoState {
  return acceptFwCfgWrite(resetFwCfgVmcoreinfo(), 0, encodeFwCfgVmcoreinfo({ hostFormat: 0, ...entry }));
}

describe('fw_cfg etc/vmcoreinfo entry', () => {
  it('is 16 little-endian bytes {u16 host_format, u16 guest_format, u32 size, u64 paddr}', () => {
    const bytes = encodeFwCfgVmcoreinfo({ hostFormat: 1, guestFormat: 1, size: 4132, paddr: 0x1_2345_6000n });
    expect(bytes.length).toBe(FW_CFG_VMCOREINFO_SIZE);
    expect([...bytes]).toEqual([1, 0, 1, 0, 0x24, 0x10, 0, 0, 0x00, 0x60, 0x45, 0x23, 1, 0, 0, 0]);
    expect(decodeFwCfgVmcoreinfo(bytes)).toEqual({ hostFormat: 1, guestFormat: 1, size: 4132, paddr: 0x1_2345_6000n });
  });

  it('rejects an entry that is not exactly 16 bytes', () => {
    for (const n of [0, 15, 17]) {
      expect(() => decodeFwCfgVmcoreinfo(new Uint8Array(n))).toThrowError(/expected 16 bytes but got/);
    }
  });

  it('rejects fields that do not fit their C types', () => {
    expect(() => encodeFwCfgVmcoreinfo({ hostFormat: 0x10000, guestFormat: 1, size: 0, paddr: 0n })).toThrowError(/hostFormat/);
    expect(() => encodeFwCfgVmcoreinfo({ hostFormat: 1, guestFormat: 1, size: -1, paddr: 0n })).toThrowError(/size/);
    expect(() => encodeFwCfgVmcoreinfo({ hostFormat: 1, guestFormat: 1, size: 0, paddr: 1n << 64n })).toThrowError(/paddr/);
  });

  it('resets to host_format ELF, everything else zero, nothing to read', () => {
    expect(resetFwCfgVmcoreinfo()).toEqual({
      entry: { hostFormat: VMCOREINFO_FORMAT_ELF, guestFormat: VMCOREINFO_FORMAT_NONE, size: 0, paddr: 0n },
      hasVmcoreinfo: false,
    });
  });

  it('counts a full 16-byte write at offset 0 with guest_format ELF', () => {
    const state = guestWrites({ guestFormat: VMCOREINFO_FORMAT_ELF, size: 4132, paddr: 0x3f00_0000n });
    expect(state.hasVmcoreinfo).toBe(true);
    expect(state.entry).toEqual({ hostFormat: 0, guestFormat: 1, size: 4132, paddr: 0x3f00_0000n });
  });

  it('ignores partial writes: the bytes land but the entry does not count', () => {
    const full = encodeFwCfgVmcoreinfo({ hostFormat: 1, guestFormat: 1, size: 4132, paddr: 0x1000n });
    const first = acceptFwCfgWrite(resetFwCfgVmcoreinfo(), 0, full.subarray(0, 8));
    expect(first.hasVmcoreinfo).toBe(false);
    expect(first.entry.size).toBe(4132);
    const second = acceptFwCfgWrite(first, 8, full.subarray(8));
    expect(second.hasVmcoreinfo).toBe(false);
    expect(second.entry).toEqual(decodeFwCfgVmcoreinfo(full));
    // A partial write after a good one switches the entry off again, as fw_cfg_vmci_write() does.
    const good = acceptFwCfgWrite(second, 0, full);
    expect(good.hasVmcoreinfo).toBe(true);
    expect(acceptFwCfgWrite(good, 4, new Uint8Array([0x10, 0x10, 0, 0])).hasVmcoreinfo).toBe(false);
  });

  it('stores nothing when a write would run past the 16 bytes (fw_cfg DMA error)', () => {
    const state = guestWrites({ guestFormat: 1, size: 4132, paddr: 0x1000n });
    expect(acceptFwCfgWrite(state, 8, new Uint8Array(9).fill(0xff))).toBe(state);
    expect(acceptFwCfgWrite(state, 0, new Uint8Array(17).fill(0xff))).toBe(state);
    expect(acceptFwCfgWrite(state, 16, new Uint8Array(1))).toBe(state);
    expect(acceptFwCfgWrite(state, -1, new Uint8Array(1))).toBe(state);
  });

  it('guest_format 0 disables the entry, even after it was enabled', () => {
    const enabled = guestWrites({ guestFormat: 1, size: 4132, paddr: 0x1000n });
    const disabled = acceptFwCfgWrite(enabled, 0, encodeFwCfgVmcoreinfo({ hostFormat: 1, guestFormat: 0, size: 4132, paddr: 0x1000n }));
    expect(disabled.hasVmcoreinfo).toBe(false);
  });
});

describe('readGuestNoteFromEntry (dump_init guest note rules)', () => {
  const text = 'OSRELEASE=6.1.0-27-amd64\nPAGESIZE=4096\nNUMBER(phys_base)=-71303168\n';
  const note = encodeVmcoreinfoNote(text);
  const paddr = 0x10_0000;
  function ram(): FakeRam {
    const r = new FakeRam([{ start: 0, size: 0x20_0000 }]);
    r.write(paddr, note);
    r.write(paddr + note.length, new Uint8Array(16).fill(0xaa)); // what follows the note in the guest's buffer
    return r;
  }

  it('reads `size` bytes and keeps header + padded name + padded descriptor (ELF_NOTE_SIZE)', async () => {
    const r = ram();
    const state = guestWrites({ guestFormat: 1, size: 4132, paddr: BigInt(paddr) });
    const result = await readGuestNoteFromEntry(state, r.read, x86);
    expect(result).toEqual({ ok: true, note, physAddr: paddr });
    if (result.ok) expect(result.note.length).toBe(12 + 12 + Math.ceil(text.length / 4) * 4);
  });

  it('warns "guest note is not present" without a counted write', async () => {
    const r = ram();
    const result = await readGuestNoteFromEntry(resetFwCfgVmcoreinfo(), r.read, x86);
    expect(result).toEqual({ ok: false, warning: 'guest note is not present' });
    expect(r.reads).toBe(0);
  });

  it('keeps an unsupported guest_format in the entry but reads no note', async () => {
    const r = ram();
    const state = guestWrites({ guestFormat: 2, size: 4132, paddr: BigInt(paddr) });
    expect(state.hasVmcoreinfo).toBe(true);
    expect(state.entry.guestFormat).toBe(2);
    expect(await readGuestNoteFromEntry(state, r.read, x86)).toEqual({ ok: false, warning: 'guest note format is unsupported: 2' });
    expect(r.reads).toBe(0);
  });

  it('rejects sizes below a note header or above 1 MiB, accepts exactly 1 MiB as QEMU does (size > MAX_GUEST_NOTE_SIZE)', async () => {
    const r = new FakeRam([{ start: 0, size: 0x30_0000 }]);
    r.write(paddr, note);
    for (const size of [0, 11, MAX_GUEST_NOTE_SIZE + 1, 0xffff_ffff]) {
      const state = guestWrites({ guestFormat: 1, size, paddr: BigInt(paddr) });
      expect(await readGuestNoteFromEntry(state, r.read, x86)).toEqual({ ok: false, warning: `guest note size is invalid: ${size}` });
    }
    const atLimit = await readGuestNoteFromEntry(
      guestWrites({ guestFormat: 1, size: MAX_GUEST_NOTE_SIZE, paddr: BigInt(paddr) }),
      r.read,
      x86,
    );
    expect(atLimit.ok).toBe(true);
  });

  it('rejects a note whose header claims more than `size` bytes ("Invalid guest note header")', async () => {
    const r = ram();
    const state = guestWrites({ guestFormat: 1, size: note.length - 4, paddr: BigInt(paddr) });
    expect(await readGuestNoteFromEntry(state, r.read, x86)).toEqual({ ok: false, warning: 'Invalid guest note header' });
    const huge = new FakeRam([{ start: 0, size: 0x20_0000 }]);
    huge.write(paddr, new Uint8Array([11, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    const hugeState = guestWrites({ guestFormat: 1, size: 4132, paddr: BigInt(paddr) });
    expect(await readGuestNoteFromEntry(hugeState, huge.read, x86)).toEqual({ ok: false, warning: 'Invalid guest note header' });
  });

  it('warns instead of failing when paddr is outside guest RAM', async () => {
    const r = ram();
    const state = guestWrites({ guestFormat: 1, size: 4132, paddr: 0x7000_0000n });
    const result = await readGuestNoteFromEntry(state, r.read, x86);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.warning).toMatch(/guest note at 0x70000000 \(4132 bytes\) cannot be read/);
    const far = await readGuestNoteFromEntry(guestWrites({ guestFormat: 1, size: 4132, paddr: 1n << 60n }), r.read, x86);
    expect(far).toEqual({ ok: false, warning: 'guest note at 0x1000000000000000 is outside guest RAM' });
  });

  it('reads the 12-byte note header the same way for ELF class 32 and 64, in the dump byte order', async () => {
    const be = encodeNote({ name: 'VMCOREINFO', type: 0, desc: new TextEncoder().encode(text) }, 'be');
    const r = new FakeRam([{ start: 0, size: 0x20_0000 }]);
    r.write(paddr, be);
    const state = guestWrites({ guestFormat: 1, size: 4132, paddr: BigInt(paddr) });
    for (const elfClass of [32, 64] as const) {
      expect(await readGuestNoteFromEntry(state, r.read, { elfClass, endian: 'be' })).toEqual({ ok: true, note: be, physAddr: paddr });
    }
  });

  it('rejects an ELF class other than 32 or 64', async () => {
    const r = ram();
    const state = guestWrites({ guestFormat: 1, size: 4132, paddr: BigInt(paddr) });
    const result = await readGuestNoteFromEntry(state, r.read, { elfClass: 16 as unknown as 32, endian: 'le' });
    expect(result).toEqual({ ok: false, warning: 'guest note: unsupported ELF class 16' });
  });

  it('surfaces errors that are not guest-memory errors', async () => {
    const state = guestWrites({ guestFormat: 1, size: 4132, paddr: BigInt(paddr) });
    const boom = async () => {
      throw new TypeError('bug');
    };
    await expect(readGuestNoteFromEntry(state, boom, x86)).rejects.toThrow(TypeError);
    const vmErr = async () => {
      throw Object.assign(new Error('x'), { code: VmcoreErrorCode.Io });
    };
    await expect(readGuestNoteFromEntry(state, vmErr, x86)).rejects.toSatisfy((e: unknown) => !isVmcoreError(e));
  });
});
