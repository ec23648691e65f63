import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  concatBytes,
  elfNoteSize,
  encodeNote,
  encodeNoteArea,
  isVmcoreError,
  NOTE_HEADER_SIZE,
  NoteType,
  NT_PRSTATUS,
  parseNotes,
  readNoteHeader,
  VmcoreErrorCode,
} from '../src/index.js';

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

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const endian = fc.constantFrom('le' as const, 'be' as const);
const noteName = fc.string({ unit: fc.integer({ min: 1, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const note = fc.record({ name: noteName, type: fc.integer({ min: 0, max: 0xffff_ffff }), desc: fc.uint8Array({ maxLength: 64 }) });

describe('encodeNote', () => {
  it('encodes like QEMU: Nhdr, name with NUL padded to 4, descriptor padded to 4', () => {
    const bytes = encodeNote({ name: 'CORE', type: 1, desc: Uint8Array.of(1, 2, 3, 4, 5) }, 'le');
    expect(Array.from(bytes)).toEqual([5, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 67, 79, 82, 69, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0]);
    expect(readNoteHeader(bytes, 'le')).toEqual({ namesz: 5, descsz: 5, type: 1 });
    const be = encodeNote({ name: 'QEMU', type: 0, desc: new Uint8Array(440) }, 'be');
    expect(be.length).toBe(460);
    expect(Array.from(be.subarray(0, 12))).toEqual([0, 0, 0, 5, 0, 0, 1, 184, 0, 0, 0, 0]);
    expect(elfNoteSize(11, 16)).toBe(12 + 12 + 16);
  });

  it('keeps a padded n_namesz (8 for "CORE") so the note re-encodes byte for byte', () => {
    const bytes = encodeNote({ name: 'CORE', nameSize: 8, type: 1, desc: Uint8Array.of(9, 9, 9, 9) }, 'be');
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0, 0, 0, 8]);
    const [parsed] = parseNotes(bytes, 'be');
    expect(parsed).toMatchObject({ name: 'CORE', nameSize: 8 });
    expect(encodeNote(parsed!, 'be')).toEqual(bytes);
    expect(parseNotes(encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(4) }, 'le'), 'le')[0]).not.toHaveProperty('nameSize');
  });

  it('refuses a name with a NUL inside, a type that is not a u32, or a nameSize too small for the name', () => {
    expect(() => encodeNote({ name: 'A\0B', type: 0, desc: new Uint8Array(0) }, 'le')).toThrowError(/contains a NUL/);
    expect(() => encodeNote({ name: 'A', type: -1, desc: new Uint8Array(0) }, 'le')).toThrowError(/not a u32/);
    expect(() => encodeNote({ name: 'CORE', nameSize: 3, type: 1, desc: new Uint8Array(0) }, 'le')).toThrowError(/cannot hold the name/);
  });

  it('lays out a note area: the notes in order, then the trailing guest note verbatim', () => {
    const guest = encodeNote({ name: 'VMCOREINFO', type: 0, desc: latin1('A=1\n') }, 'le');
    const area = encodeNoteArea([{ name: 'CORE', type: NT_PRSTATUS, desc: new Uint8Array(336) }], 'le', guest);
    expect(area.length).toBe(elfNoteSize(5, 336) + guest.length);
    expect(area.subarray(area.length - guest.length)).toEqual(guest);
    expect(parseNotes(area, 'le').map((n) => n.name)).toEqual(['CORE', 'VMCOREINFO']);
  });
});

describe('parseNotes', () => {
  it('parses a sequence of notes with their offsets, descriptor offsets and sizes', () => {
    const core = encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(336) }, 'le');
    const qemu = encodeNote({ name: 'QEMU', type: 0, desc: new Uint8Array(440) }, 'le');
    const notes = parseNotes(concat(core, qemu), 'le', { baseOffset: 100 });
    expect(notes.map((n) => [n.name, n.type, n.desc.length, n.offset, n.size, n.descOffset])).toEqual([
      ['CORE', 1, 336, 100, core.length, 100 + 20],
      ['QEMU', 0, 440, 100 + core.length, qemu.length, 100 + core.length + 20],
    ]);
  });

  it('accepts a last note whose descriptor padding is missing at the end of the area (readelf, libkdumpfile do)', () => {
    const note = encodeNote({ name: 'VMCOREINFO', type: 0, desc: latin1('OSRELEASE=6.1.0') }, 'le');
    const unpadded = note.subarray(0, 12 + 12 + 15);
    expect(parseNotes(unpadded, 'le')[0]?.size).toBe(39);
  });

  it("accepts an empty name (namesz 0) such as the kernel's final empty note", () => {
    expect(parseNotes(new Uint8Array(12), 'le')).toEqual([
      { name: '', type: 0, desc: new Uint8Array(0), offset: 0, size: 12, descOffset: 12 },
    ]);
  });

  it('accepts fewer than 12 trailing zero bytes as padding after the last note (libkdumpfile stops there)', () => {
    const note = encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(4) }, 'le');
    expect(parseNotes(concat(note, new Uint8Array(7)), 'le').map((n) => n.name)).toEqual(['CORE']);
  });

  it('accepts a name stored without its NUL (readelf prints it) and keeps n_namesz to re-encode it', () => {
    const bytes = concat(header(4, 0, 0), latin1('CORE'));
    const [parsed] = parseNotes(bytes, 'le');
    expect(parsed).toMatchObject({ name: 'CORE', nameSize: 4 });
    expect(encodeNote(parsed!, 'le')).toEqual(bytes);
  });

  it('rejects stray non-zero bytes after the last note, naming the offset', () => {
    const note = encodeNote({ name: 'VMCOREINFO', type: 0, desc: latin1('OSRELEASE=1\n') }, 'le');
    const message = corruptMessage(() => parseNotes(concat(note, Uint8Array.of(0, 0, 1, 0, 0, 0, 0)), 'le'));
    expect(message).toBe(`notes: truncated note header at offset ${note.length}: 7 bytes left, a header needs ${NOTE_HEADER_SIZE}`);
  });

  it('rejects namesz or descsz that run past the area, including huge ones', () => {
    expect(corruptMessage(() => parseNotes(concat(header(100, 0, 0), new Uint8Array(8)), 'le'))).toMatch(
      /note at offset 0 has namesz 100, past the end of the 20-byte area/,
    );
    expect(corruptMessage(() => parseNotes(concat(header(0xffff_ffff, 0, 0), new Uint8Array(8)), 'le'))).toMatch(/namesz 4294967295/);
    const name = latin1('VMCOREINFO\0\0');
    expect(corruptMessage(() => parseNotes(concat(header(11, 0xffff_ffff, 0), name, new Uint8Array(4)), 'le'))).toMatch(
      /note at offset 0 has descsz 4294967295, past the end of the 28-byte area/,
    );
    expect(corruptMessage(() => parseNotes(concat(header(11, 8, 0), name, new Uint8Array(4)), 'le', { what: 'guest note' }))).toMatch(
      /^guest note: note at offset 0 has descsz 8/,
    );
    const cut = encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(16) }, 'le');
    expect(corruptMessage(() => parseNotes(cut.subarray(0, cut.length - 4), 'le', { what: 'seg', baseOffset: 4096 }))).toMatch(
      /^seg: note at offset 4096 has descsz 16, past the end of the 32-byte area/,
    );
  });

  it('rejects a name with bytes after its NUL (the name would silently drop them)', () => {
    const bytes = concat(header(8, 0, 0), latin1('CORE\0XY\0'));
    expect(corruptMessage(() => parseNotes(bytes, 'le'))).toBe('notes: note at offset 0 has bytes after the NUL that ends its name');
  });

  it('parseNotes(encodeNoteArea(notes)) gives the notes back, in either byte order', () => {
    fc.assert(
      fc.property(fc.array(note, { maxLength: 6 }), endian, (notes, order) => {
        const area = encodeNoteArea(notes, order);
        const parsed = parseNotes(area, order);
        expect(parsed.map(({ name, type, desc }) => ({ name, type, desc }))).toEqual(notes);
        expect(parsed.map((n) => area.subarray(n.offset, n.offset + n.size))).toEqual(notes.map((n) => encodeNote(n, order)));
      }),
    );
  });

  it('on arbitrary bytes returns notes inside the area or a VmcoreError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), endian, (bytes, order) => {
        try {
          for (const n of parseNotes(bytes, order)) {
            expect(n.offset + n.size).toBeLessThanOrEqual(bytes.length);
            expect(n.descOffset + n.desc.length).toBeLessThanOrEqual(bytes.length);
          }
        } catch (error) {
          expect(isVmcoreError(error)).toBe(true);
        }
      }),
    );
  });

  it('names the note types QEMU and the kernel use', () => {
    expect([NoteType.PRSTATUS, NoteType.PRFPREG, NoteType.PRPSINFO, NoteType.QEMU_CPU_STATE, NoteType.VMCOREINFO]).toEqual([1, 2, 3, 0, 0]);
  });
});
