import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVmcoreError, VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import {
  acceptFwCfgWrite,
  decodeFwCfgVmcoreinfo,
  encodeFwCfgVmcoreinfo,
  encodeNote,
  encodeVmcoreinfoNote,
  parseNotes,
  parseVmcoreinfo,
  resetFwCfgVmcoreinfo,
  resolvePhysBase,
  X86_64PageWalker,
  scanForVmcoreinfoNote,
  vmcoreinfoText,
} from '../src/index.js';
import { fromArray } from './helpers.js';

const endian = fc.constantFrom('le' as const, 'be' as const);
const entry = fc.record({
  hostFormat: fc.integer({ min: 0, max: 0xffff }),
  guestFormat: fc.integer({ min: 0, max: 0xffff }),
  size: fc.integer({ min: 0, max: 0xffff_ffff }),
  paddr: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});
const noteName = fc.string({ unit: fc.integer({ min: 1, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const note = fc.record({ name: noteName, type: fc.integer({ min: 0, max: 0xffff_ffff }), desc: fc.uint8Array({ maxLength: 64 }) });
const printable = fc.string({ unit: fc.constantFrom(...'ABCXYZ_()=.0123456789abcdef-\n\t '.split('')), maxLength: 300 });

describe('properties', () => {
  it('decodeFwCfgVmcoreinfo(encodeFwCfgVmcoreinfo(e)) = e', () => {
    fc.assert(
      fc.property(entry, (e) => {
        expect(decodeFwCfgVmcoreinfo(encodeFwCfgVmcoreinfo(e))).toEqual(e);
      }),
    );
  });

  it('a full write of any entry counts exactly when guest_format is not 0', () => {
    fc.assert(
      fc.property(entry, (e) => {
        const state = acceptFwCfgWrite(resetFwCfgVmcoreinfo(), 0, encodeFwCfgVmcoreinfo(e));
        expect(state.entry).toEqual(e);
        expect(state.hasVmcoreinfo).toBe(e.guestFormat !== 0);
      }),
    );
  });

  it('any write shorter than 16 bytes never makes the entry count', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.uint8Array({ maxLength: 15 }), (offset, data) => {
        const enabled = acceptFwCfgWrite(resetFwCfgVmcoreinfo(), 0, encodeFwCfgVmcoreinfo({ hostFormat: 1, guestFormat: 1, size: 1, paddr: 1n }));
        expect(acceptFwCfgWrite(enabled, offset, data).hasVmcoreinfo).toBe(offset + data.length > 16);
      }),
    );
  });

  it('parseNotes(concat(encodeNote(n))) gives the notes back, in either byte order', () => {
    fc.assert(
      fc.property(fc.array(note, { maxLength: 6 }), endian, (notes, order) => {
        const parts = notes.map((n) => encodeNote(n, order));
        const bytes = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
        let at = 0;
        for (const p of parts) {
          bytes.set(p, at);
          at += p.length;
        }
        expect(parseNotes(bytes, order).map(({ name, type, desc }) => ({ name, type, desc }))).toEqual(notes);
      }),
    );
  });

  it('parseNotes on arbitrary bytes returns notes inside the buffer or a VmcoreError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), endian, (bytes, order) => {
        try {
          for (const n of parseNotes(bytes, order)) expect(n.offset + n.size).toBeLessThanOrEqual(bytes.length);
        } catch (error) {
          expect(isVmcoreError(error)).toBe(true);
        }
      }),
    );
  });

  it('VMCOREINFO text survives encodeVmcoreinfoNote → parseNotes → vmcoreinfoText', () => {
    fc.assert(
      fc.property(printable, endian, (text, order) => {
        const [n] = parseNotes(encodeVmcoreinfoNote(text, order), order);
        expect(n?.name).toBe('VMCOREINFO');
        expect(vmcoreinfoText(n!.desc)).toBe(text);
      }),
    );
  });

  it('parseVmcoreinfo keeps every KEY=VALUE line it accepts, or throws a VmcoreError', () => {
    fc.assert(
      fc.property(printable, (text) => {
        try {
          const info = parseVmcoreinfo(text);
          expect(info.entries.map((e) => `${e.key}=${e.value}`)).toEqual(text.split('\n').filter((l) => l !== ''));
        } catch (error) {
          expect(isVmcoreError(error)).toBe(true);
        }
      }),
    );
  });

  it('the scan finds a note at any aligned address, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 255 }).map((n) => n * 4),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 8 }),
        printable,
        async (at, lengths, tail) => {
          const text = `OSRELEASE=6.1\n${tail}`;
          const n = encodeVmcoreinfoNote(text);
          const mem = new Uint8Array(at + n.length + 64);
          mem.set(n, at);
          const chunks = [];
          for (let off = 0, i = 0; off < mem.length; i++) {
            const len = Math.min(lengths[i % lengths.length]!, mem.length - off);
            chunks.push({ physAddr: 0x1000 + off, bytes: mem.subarray(off, off + len) });
            off += len;
          }
          const found = await scanForVmcoreinfoNote(fromArray(chunks));
          expect(found).toEqual({ physAddr: 0x1000 + at, note: n, text });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('resolvePhysBase on a hostile guest note and random page tables always answers (with a warning) and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), fc.uint8Array({ minLength: 0x3000, maxLength: 0x3000 }), async (guestNote, mem) => {
        const read = async (addr: number, length: number) => {
          if (addr + length > mem.length) throw new VmcoreError(VmcoreErrorCode.OutOfRange, `${addr}+${length} is outside the test RAM`);
          return mem.slice(addr, addr + length);
        };
        const result = await resolvePhysBase({ arch: 'x86_64', guestNote, read, cpuState: { cr3: 0x1000n } });
        expect(['vmcoreinfo', 'page-tables', 'default']).toContain(result.source);
        if (result.source !== 'vmcoreinfo') expect(result.warning).toBeDefined();
      }),
      { numRuns: 100 },
    );
  });

  it('the page walker reads at most levels × 1 table pages per translation of random tables', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0x4000, maxLength: 0x4000 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), async (mem, virt) => {
        let reads = 0;
        const walker = new X86_64PageWalker({
          root: 0n,
          read: async (addr, length) => {
            reads++;
            const at = addr % 0x3000; // every table page lands inside the random bytes
            return mem.slice(at, at + length);
          },
        });
        await walker.translate(virt);
        expect(reads).toBeLessThanOrEqual(4);
      }),
    );
  });
});
