import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RunCollector, fillBitmapChunk, pfnRuns, setBits, countPages } from '../src/bitmap.js';
import { encodeNote, encodeNoteArea, parseNotes } from '@vmcore/bytes';
import { encodeNotes } from '../src/notes.js';
import { vmcoreinfoNote } from './synthetic.js';

describe('bitmap arithmetic', () => {
  it('sets bit pfn % 8 of byte pfn / 8 (LSB first, as set_dump_bitmap)', () => {
    const bitmap = new Uint8Array(4);
    setBits(bitmap, 3, 13);
    expect(Array.from(bitmap)).toEqual([0b11111000, 0b00011111, 0, 0]);
  });

  it('fills bitmap chunks equal to setting each pfn by hand (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 3000 }), fc.nat({ max: 300 })), { maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        (raw, chunkBytes) => {
          const blocks = raw.map(([s, n]) => ({ start: s * 4096, size: n * 4096 })).sort((a, b) => a.start - b.start);
          const disjoint = blocks.filter((b, i) => i === 0 || b.start >= blocks[i - 1]!.start + blocks[i - 1]!.size);
          const valid = disjoint.every((b, i) => i === 0 || b.start >= disjoint[i - 1]!.start + disjoint[i - 1]!.size);
          if (!valid) return;
          const runs = pfnRuns(disjoint, 4096);
          const expected = new Uint8Array(512);
          for (const b of disjoint) for (let p = b.start / 4096; p < (b.start + b.size) / 4096; p++) expected[p >> 3]! |= 1 << (p & 7);
          const got = new Uint8Array(512);
          for (let at = 0; at < got.length; at += chunkBytes) {
            const chunk = new Uint8Array(Math.min(chunkBytes, got.length - at));
            fillBitmapChunk(runs, at * 8, chunk);
            got.set(chunk, at);
          }
          expect(got).toEqual(expected);
          const collector = new RunCollector(1000, 'test');
          collector.add(got, 0, 4096);
          expect(collector.finish().runs()).toEqual(runs);
          expect(collector.pageCount).toBe(countPages(runs));
        },
      ),
    );
  });

  it('counts a page any byte of a block touches, and shares an edge page between two blocks', () => {
    const runs = pfnRuns(
      [
        { start: 0x800, size: 0x1000 },
        { start: 0x1800, size: 0x100 },
        { start: 0x5000, size: 0x1 },
      ],
      0x1000,
    );
    expect(runs).toEqual([
      { start: 0, end: 2 },
      { start: 5, end: 6 },
    ]);
    expect(countPages(runs)).toBe(3);
  });

  it('maps pfns to descriptor indexes by rank', () => {
    const collector = new RunCollector(10, 'test');
    collector.add(Uint8Array.of(0b00001110, 0b10000000), 0, 16);
    const present = collector.finish();
    expect(present.pageCount).toBe(4);
    expect([0, 1, 2, 3, 4, 15].map((p) => present.indexOf(p))).toEqual([-1, 0, 1, 2, -1, 3]);
  });

  it('refuses more runs than the limit', () => {
    const collector = new RunCollector(3, 'x.kdump');
    expect(() => collector.add(Uint8Array.of(0b01010101, 0b01010101), 0, 16)).toThrow(/more than 3 runs/);
  });
});

describe('notes', () => {
  it('appends the guest note verbatim and points at its VMCOREINFO descriptor', () => {
    const guestNote = vmcoreinfoNote('OSRELEASE=6.1.0\n');
    const { bytes, vmcoreinfo } = encodeNotes([{ name: 'CORE', type: 1, desc: new Uint8Array(336) }], guestNote, 'le');
    expect(bytes.subarray(bytes.length - guestNote.length)).toEqual(guestNote);
    expect(vmcoreinfo).toEqual({ offset: 356 + 24, size: 16 });
    expect(new TextDecoder().decode(bytes.subarray(vmcoreinfo!.offset, vmcoreinfo!.offset + vmcoreinfo!.size))).toBe('OSRELEASE=6.1.0\n');
  });

  it('does not point at a guest note that is not VMCOREINFO', () => {
    const other = encodeNote({ name: 'XEN', type: 1, desc: new Uint8Array(4) }, 'le');
    expect(encodeNotes([], other, 'le').vmcoreinfo).toBeUndefined();
  });

  it('parses notes back and rejects sizes beyond the area', () => {
    const { bytes } = encodeNotes([{ name: 'CORE', type: 1, desc: new Uint8Array(5) }], vmcoreinfoNote('A=1\n', 'be'), 'be');
    const notes = parseNotes(bytes, 'be', { what: 'notes' });
    expect(notes.map((n) => [n.name, n.type, n.desc.length])).toEqual([
      ['CORE', 1, 5],
      ['VMCOREINFO', 0, 4],
    ]);
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(4, 1 << 30, false);
    expect(() => parseNotes(bad, 'be', { what: 'x.kdump notes' })).toThrow(/past the end of the/);
  });
});

describe('kdump notes and ELF notes', () => {
  it('are the same note area, n_namesz other than strlen(name) + 1 included (one encoder in @vmcore/bytes)', () => {
    const odd = { name: 'CORE', nameSize: 8, type: 1, desc: Uint8Array.of(1, 2, 3) };
    for (const endian of ['le', 'be'] as const) {
      const ours = encodeNotes([odd], undefined, endian).bytes;
      expect(ours).toEqual(encodeNoteArea([odd], endian));
      expect(ours).toEqual(encodeNote(odd, endian));
      expect(new DataView(ours.buffer).getUint32(0, endian === 'le')).toBe(8);
    }
  });
});
