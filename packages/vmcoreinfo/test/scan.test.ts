import { describe, expect, it } from 'vitest';
import { encodeNote } from '@vmcore/bytes';
import { encodeVmcoreinfoNote, scanForVmcoreinfoNote } from '../src/index.js';
import { FakeRam, fromArray } from './helpers.js';

const text = 'OSRELEASE=6.1.0-27-amd64\nPAGESIZE=4096\nNUMBER(phys_base)=-71303168\nKERNELOFFSET=9a00000\n';
const note = encodeVmcoreinfoNote(text);

/** Memory of `size` bytes with the note at `at`, cut into chunks at the given lengths (cycled). */
function chunked(size: number, at: number, lengths: readonly number[], base = 0x10_0000, bytes = note) {
  const mem = new Uint8Array(size);
  mem.set(bytes, at);
  const chunks: { physAddr: number; bytes: Uint8Array }[] = [];
  let off = 0;
  for (let i = 0; off < size; i++) {
    const len = Math.min(lengths[i % lengths.length]!, size - off);
    chunks.push({ physAddr: base + off, bytes: mem.subarray(off, off + len) });
    off += len;
  }
  return fromArray(chunks);
}

describe('scanForVmcoreinfoNote', () => {
  it('finds a note inside one chunk and returns its address, bytes and text', async () => {
    const found = await scanForVmcoreinfoNote(chunked(0x4000, 0x1000, [0x4000]));
    expect(found).toEqual({ physAddr: 0x10_1000, note, text });
  });

  it('finds a note wherever a chunk boundary cuts it (header, name, "OSRELEASE=" or descriptor)', async () => {
    for (let cut = 1; cut < note.length; cut++) {
      const at = 0x100;
      const found = await scanForVmcoreinfoNote(chunked(0x400, at, [at + cut, 0x400]));
      expect(found?.physAddr, `cut at ${cut}`).toBe(0x10_0100);
      expect(found?.note, `cut at ${cut}`).toEqual(note);
    }
  });

  it('finds a note spread over many tiny chunks', async () => {
    for (const size of [1, 3, 4, 7, 33, 34]) {
      const found = await scanForVmcoreinfoNote(chunked(0x300, 0x84, [size]));
      expect(found?.physAddr, `chunks of ${size}`).toBe(0x10_0084);
      expect(found?.text).toBe(text);
    }
  });

  it('does not join chunks that are not contiguous', async () => {
    const mem = new Uint8Array(0x200);
    mem.set(note, 0x100);
    const found = await scanForVmcoreinfoNote(
      fromArray([
        { physAddr: 0x1000, bytes: mem.subarray(0, 0x110) },
        { physAddr: 0x9000, bytes: mem.subarray(0x110) },
      ]),
    );
    expect(found).toBeUndefined();
  });

  it('skips look-alikes: misaligned header, wrong type, implausible descsz, non-text descriptor', async () => {
    const fakeType = encodeNote({ name: 'VMCOREINFO', type: 1, desc: new TextEncoder().encode(text) }, 'le');
    const binary = encodeVmcoreinfoNote(text);
    binary[24 + 20] = 0x01;
    const mem = new Uint8Array(0x2000);
    mem.set(note, 0x102); // not 4-byte aligned
    mem.set(fakeType, 0x200);
    mem.set(binary, 0x400);
    const tooBig = encodeVmcoreinfoNote(text);
    new DataView(tooBig.buffer).setUint32(4, 0x20000, true);
    mem.set(tooBig, 0x600);
    mem.set(note, 0x1000);
    const found = await scanForVmcoreinfoNote(fromArray([{ physAddr: 0, bytes: mem }]));
    expect(found?.physAddr).toBe(0x1000);
  });

  it('returns the note at the lowest address when a bigger candidate below is still being collected', async () => {
    const long = encodeVmcoreinfoNote(`${text}${'X'.repeat(3000)}\n`);
    const ram = new FakeRam([{ start: 0, size: 0x4000 }]);
    ram.write(0x100, long);
    ram.write(0x1000, note);
    const found = await scanForVmcoreinfoNote(ram.chunks(0x800));
    expect(found?.physAddr).toBe(0x100);
    expect(found?.note).toEqual(long);
  });

  it('skips candidates the caller rejects and goes on scanning', async () => {
    const ram = new FakeRam([{ start: 0, size: 0x4000 }]);
    ram.write(0x100, note);
    ram.write(0x2000, note);
    const seen: number[] = [];
    const found = await scanForVmcoreinfoNote(ram.chunks(0x1000), {
      accept: async (candidate) => {
        seen.push(candidate.physAddr);
        return candidate.physAddr !== 0x100;
      },
    });
    expect(seen).toEqual([0x100, 0x2000]);
    expect(found?.physAddr).toBe(0x2000);
  });

  it('reads big-endian notes when told the byte order', async () => {
    const be = encodeVmcoreinfoNote(text, 'be');
    expect(await scanForVmcoreinfoNote(chunked(0x400, 0x40, [0x400], 0, be))).toBeUndefined();
    expect((await scanForVmcoreinfoNote(chunked(0x400, 0x40, [0x400], 0, be), { endian: 'be' }))?.physAddr).toBe(0x40);
  });

  it('gives up on a note that runs off the end of memory', async () => {
    expect(await scanForVmcoreinfoNote(chunked(0x100, 0x100 - 40, [0x100], 0, note.subarray(0, 40)))).toBeUndefined();
  });

  it('allocates nothing for look-alike headers whose descriptor is not text', async () => {
    // 100 000 headers claiming 64 KiB descriptors, each followed by the next header (binary).
    const fake = encodeVmcoreinfoNote(text).subarray(0, 40);
    new DataView(fake.buffer, fake.byteOffset).setUint32(4, 0x10000, true);
    const mem = new Uint8Array(100_000 * 40 + 0x400);
    for (let i = 0; i < 100_000; i++) mem.set(fake, i * 40);
    mem.set(note, 100_000 * 40);
    const before = process.memoryUsage().arrayBuffers;
    const found = await scanForVmcoreinfoNote(fromArray([{ physAddr: 0, bytes: mem }]));
    expect(found?.physAddr).toBe(100_000 * 40);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });
});
