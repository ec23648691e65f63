import { describe, expect, it } from 'vitest';
import { isZeroPage } from '../src/index.js';
import { isZeroPortable } from '../src/zero.js';

// Lengths around the 64 KiB memcmp span and word boundaries; offsets 0 and 1 (unaligned views).
const LENGTHS = [0, 1, 3, 4, 7, 4096, 65535, 65536, 65537, 1 << 20];

describe('isZeroPage', () => {
  for (const check of [isZeroPage, isZeroPortable]) {
    describe(check.name, () => {
      it.each(LENGTHS)('finds %i zero bytes zero, aligned and unaligned', (length) => {
        expect(check(new Uint8Array(length))).toBe(true);
        expect(check(new Uint8Array(length + 1).subarray(1))).toBe(true);
      });

      it.each(LENGTHS.filter((n) => n > 0))('finds one non-zero byte anywhere in %i bytes (first, span edges, last)', (length) => {
        const positions = new Set([0, 1, length >> 1, 65535, 65536, length - 1].filter((p) => p >= 0 && p < length));
        for (const shift of [0, 1]) {
          const bytes = new Uint8Array(length + shift).subarray(shift);
          for (const position of positions) {
            for (const value of [1, 0x80, 0xff]) {
              bytes[position] = value;
              expect(check(bytes), `byte ${position} = ${value}`).toBe(false);
              bytes[position] = 0;
            }
          }
        }
      });

      it('looks only at the view, not the bytes around it', () => {
        const backing = new Uint8Array(4096 + 16).fill(7);
        backing.fill(0, 8, 8 + 4096);
        expect(check(backing.subarray(8, 8 + 4096))).toBe(true);
      });
    });
  }
});
