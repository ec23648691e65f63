import { describe, expect, it } from 'vitest';
import { isVmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { elfNoteSize, encodeNote, encodeVmcoreinfoNote, findVmcoreinfoNote, NOTE_HEADER_SIZE, parseNotes, readNoteHeader } from '../src/index.js';

function corruptMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isVmcoreError(error, VmcoreErrorCode.Corrupt)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected VMCORE_CORRUPT');
}

function header(namesz: number, descsz: number, type: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setUint32(0, namesz, true);
  view.setUint32(4, descsz, true);
  view.setUint32(8, type, true);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('ELF notes', () => {
  it('encodes header, NUL-terminated name and descriptor, each padded to 4 bytes', () => {
    const note = encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array([1, 2, 3, 4, 5]) }, 'le');
    expect(note.length).toBe(12 + 8 + 8);
    expect(readNoteHeader(note, 'le')).toEqual({ namesz: 5, descsz: 5, type: 1 });
    expect([...note.subarray(12, 20)]).toEqual([0x43, 0x4f, 0x52, 0x45, 0, 0, 0, 0]);
    expect([...note.subarray(20)]).toEqual([1, 2, 3, 4, 5, 0, 0, 0]);
    const be = encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(0) }, 'be');
    expect([...be.subarray(0, 12)]).toEqual([0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('writes the VMCOREINFO note with namesz 11 ("VMCOREINFO\\0"), type 0', () => {
    const note = encodeVmcoreinfoNote('OSRELEASE=6.1.0\n');
    expect(readNoteHeader(note, 'le')).toEqual({ namesz: 11, descsz: 16, type: 0 });
    expect(new TextDecoder().decode(note.subarray(12, 24))).toBe('VMCOREINFO\0\0');
    expect(note.length).toBe(elfNoteSize(11, 16));
  });

  it('refuses VMCOREINFO text that is not ASCII or holds a NUL', () => {
    expect(() => encodeVmcoreinfoNote('OSRELEASE=a\0b')).toThrowError(/0x0 at index 11/);
    expect(() => encodeVmcoreinfoNote('OSRELEASE=é')).toThrowError(/0xe9/);
    expect(() => encodeVmcoreinfoNote('OSRELEASE=a\r\n')).toThrowError(/0xd at index 11 is not printable ASCII text/);
  });

  it('parses a sequence of notes with their offsets, and finds VMCOREINFO', () => {
    const core = encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(336) }, 'le');
    const qemu = encodeNote({ name: 'QEMU', type: 0, desc: new Uint8Array(440) }, 'le');
    const vmci = encodeVmcoreinfoNote('OSRELEASE=6.1.0\nPAGESIZE=4096\n');
    const notes = parseNotes(concat(core, qemu, vmci), 'le');
    expect(notes.map((n) => [n.name, n.type, n.desc.length, n.offset, n.size])).toEqual([
      ['CORE', 1, 336, 0, core.length],
      ['QEMU', 0, 440, core.length, qemu.length],
      ['VMCOREINFO', 0, 30, core.length + qemu.length, vmci.length],
    ]);
    expect(findVmcoreinfoNote(notes)?.offset).toBe(core.length + qemu.length);
    expect(findVmcoreinfoNote(notes.slice(0, 2))).toBeUndefined();
  });

  it('accepts a last note whose descriptor padding is missing at the end of the buffer', () => {
    const note = encodeVmcoreinfoNote('OSRELEASE=6.1.0');
    const unpadded = note.subarray(0, 12 + 12 + 15);
    expect(parseNotes(unpadded, 'le')[0]?.size).toBe(39);
  });

  it('accepts an empty name (namesz 0) such as the kernel\'s final empty note', () => {
    expect(parseNotes(new Uint8Array(12), 'le')).toEqual([{ name: '', type: 0, desc: new Uint8Array(0), offset: 0, size: 12 }]);
  });

  it('rejects a truncated note header, naming the offset', () => {
    const note = encodeVmcoreinfoNote('OSRELEASE=1\n');
    const message = corruptMessage(() => parseNotes(concat(note, new Uint8Array(7)), 'le'));
    expect(message).toBe(`notes: truncated note header at offset ${note.length}: 7 bytes left, a header needs ${NOTE_HEADER_SIZE}`);
  });

  it('rejects namesz or descsz that run past the buffer, including huge ones', () => {
    expect(corruptMessage(() => parseNotes(concat(header(100, 0, 0), new Uint8Array(8)), 'le'))).toMatch(
      /note at offset 0 has namesz 100, past the end of the 20-byte buffer/,
    );
    expect(corruptMessage(() => parseNotes(concat(header(0xffff_ffff, 0, 0), new Uint8Array(8)), 'le'))).toMatch(/namesz 4294967295/);
    const name = new TextEncoder().encode('VMCOREINFO\0\0');
    expect(corruptMessage(() => parseNotes(concat(header(11, 0xffff_ffff, 0), name, new Uint8Array(4)), 'le'))).toMatch(
      /note at offset 0 has descsz 4294967295, past the end of the 28-byte buffer/,
    );
    expect(corruptMessage(() => parseNotes(concat(header(11, 8, 0), name, new Uint8Array(4)), 'le', 'guest note'))).toMatch(
      /^guest note: note at offset 0 has descsz 8/,
    );
  });

  it('rejects a name without its terminating NUL', () => {
    const bytes = concat(header(4, 0, 0), new TextEncoder().encode('CORE'));
    expect(corruptMessage(() => parseNotes(bytes, 'le'))).toBe('notes: note at offset 0 has a name that is not NUL-terminated');
  });

  it('refuses to encode a name with a NUL inside or a type that is not a u32', () => {
    expect(() => encodeNote({ name: 'A\0B', type: 0, desc: new Uint8Array(0) }, 'le')).toThrowError(/contains a NUL/);
    expect(() => encodeNote({ name: 'A', type: -1, desc: new Uint8Array(0) }, 'le')).toThrowError(/not a u32/);
  });
});
