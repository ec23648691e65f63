import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVmcoreError, parseNotes } from '@vmcore/bytes';
import {
  acceptFwCfgWrite,
  decodeFwCfgVmcoreinfo,
  encodeFwCfgVmcoreinfo,
  encodeVmcoreinfoNote,
  parseVmcoreinfo,
  resetFwCfgVmcoreinfo,
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
        const enabled = acceptFwCfgWrite(
          resetFwCfgVmcoreinfo(),
          0,
          encodeFwCfgVmcoreinfo({ hostFormat: 1, guestFormat: 1, size: 1, paddr: 1n }),
        );
        expect(acceptFwCfgWrite(enabled, offset, data).hasVmcoreinfo).toBe(offset + data.length > 16);
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
});
