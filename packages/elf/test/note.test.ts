import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeNote, parseNoteArea } from '../src/index.js';

describe('ELF notes', () => {
  it('encodes like QEMU: Nhdr, name with NUL padded to 4, descriptor padded to 4', () => {
    const bytes = encodeNote({ name: 'CORE', type: 1, desc: Uint8Array.of(1, 2, 3, 4, 5) }, 'le');
    expect(Array.from(bytes)).toEqual([5, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 67, 79, 82, 69, 0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0]);
    const be = encodeNote({ name: 'QEMU', type: 0, desc: new Uint8Array(440) }, 'be');
    expect(be.length).toBe(460);
    expect(Array.from(be.subarray(0, 12))).toEqual([0, 0, 0, 5, 0, 0, 1, 184, 0, 0, 0, 0]);
  });

  it('parses what it encodes, in order, for either byte order', () => {
    const note = fc.record({ name: fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ') }), type: fc.nat({ max: 0xffffffff }), desc: fc.uint8Array({ maxLength: 64 }) });
    fc.assert(fc.property(fc.array(note, { maxLength: 6 }), fc.constantFrom('le' as const, 'be' as const), (notes, endian) => {
      const parts = notes.map((n) => encodeNote(n, endian));
      const area = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
      let at = 0;
      for (const p of parts) { area.set(p, at); at += p.length; }
      const parsed = parseNoteArea(area, endian, 100, 'test');
      expect(parsed.map(({ name, type, desc }) => ({ name, type, desc }))).toEqual(notes);
      expect(parsed.map((n) => n.raw)).toEqual(parts);
      if (parsed[0]) expect(parsed[0].offset).toBe(100);
    }));
  });

  it('keeps a padded n_namesz (8 for "CORE") so the note re-encodes byte for byte', () => {
    const bytes = encodeNote({ name: 'CORE', nameSize: 8, type: 1, desc: Uint8Array.of(9, 9, 9, 9) }, 'be');
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0, 0, 0, 8]);
    const [note] = parseNoteArea(bytes, 'be', 0, 'seg');
    expect(note).toMatchObject({ name: 'CORE', nameSize: 8 });
    expect(encodeNote(note!, 'be')).toEqual(bytes);
    expect(parseNoteArea(encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(4) }, 'le'), 'le', 0, 's')[0]).not.toHaveProperty('nameSize');
  });

  it('rejects a note that runs past its segment', () => {
    const bytes = encodeNote({ name: 'CORE', type: 1, desc: new Uint8Array(16) }, 'le');
    expect(() => parseNoteArea(bytes.subarray(0, bytes.length - 4), 'le', 0, 'seg')).toThrow(/runs past the end/);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(4, 0xfffffff0, true);
    expect(() => parseNoteArea(huge, 'le', 0, 'seg')).toThrow(expect.objectContaining({ code: 'VMCORE_CORRUPT' }));
  });
});
