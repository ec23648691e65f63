import { describe, expect, it } from 'vitest';
import { verifyGuest } from '../src/index.js';
import { memoryGuest, syntheticGuest } from '@vmcore/test-support';

describe('verifyGuest', () => {
  it('finds every page equal when comparing a guest with itself', async () => {
    const guest = syntheticGuest({ ramMiB: 1 });
    const result = await verifyGuest(guest, guest);
    expect(result).toMatchObject({ pages: 640 / 4 + 256, mismatchedPages: 0, notesMatch: true });
  });

  it('names the first differing page and counts missing ones', async () => {
    const a = new Uint8Array(4 * 4096);
    const b = a.slice(0, 3 * 4096);
    b[4096 + 7] = 1;
    const info = { elfClass: 64, endian: 'le', machine: 62, arch: 'x86_64', pageSize: 4096 } as const;
    const result = await verifyGuest(
      memoryGuest({ info, blocks: [{ start: 0, bytes: a }] }),
      memoryGuest({ info, blocks: [{ start: 0, bytes: b }] }),
    );
    expect(result).toMatchObject({ pages: 4, mismatchedPages: 2, firstMismatch: 4096 });
  });
});
