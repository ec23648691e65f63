import { describe, expect, it } from 'vitest';
import { elfNoteSize, encodeNote, encodeNoteArea, parseNotes, readNoteHeader } from '@vmcore/bytes';
import { encodeVmcoreinfoNote, findVmcoreinfoNote } from '../src/index.js';

describe('the VMCOREINFO note', () => {
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

  it('is found among the notes of an area', () => {
    const core = encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(336) }, 'le');
    const qemu = encodeNote({ name: 'QEMU', type: 0, desc: new Uint8Array(440) }, 'le');
    const vmci = encodeVmcoreinfoNote('OSRELEASE=6.1.0\nPAGESIZE=4096\n');
    const notes = parseNotes(encodeNoteArea([], 'le', new Uint8Array([...core, ...qemu, ...vmci])), 'le');
    expect(notes.map((n) => [n.name, n.type, n.desc.length])).toEqual([
      ['CORE', 1, 336],
      ['QEMU', 0, 440],
      ['VMCOREINFO', 0, 30],
    ]);
    expect(findVmcoreinfoNote(notes)?.offset).toBe(core.length + qemu.length);
    expect(findVmcoreinfoNote(notes.slice(0, 2))).toBeUndefined();
  });
});
