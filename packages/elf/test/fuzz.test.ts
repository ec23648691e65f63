import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MemorySource, isVmcoreError } from '@vmcore/bytes';
import { openElfGuest, readElfCore } from '../src/index.js';
import { syntheticGuest, vmcoreinfoNote, writeToMemory, x86_64CpuNotes } from './helpers.js';

let file: Uint8Array;
let boundaries: number[];

beforeAll(async () => {
  const { guest } = syntheticGuest({
    blocks: [
      { start: 0, size: 0x2000 },
      { start: 0x3000, size: 0x1000 },
    ],
    cpuNotes: x86_64CpuNotes(1),
    guestNote: vmcoreinfoNote(200),
  });
  file = await writeToMemory(guest);
  const core = await readElfCore(new MemorySource(file));
  boundaries = [
    4,
    16,
    64,
    Number(core.header.shoff),
    core.header.phdrCount * 56 + 64,
    Number(core.header.shoff) + 128,
    ...core.notes.flatMap((n) => [n.offset, n.offset + 12, n.offset + n.raw.length]),
    ...core.loads.flatMap((l) => [l.fileOffset, l.fileOffset + l.fileSize]),
    file.length - 11,
    file.length - 1,
  ];
});

/** Opens the file and reads some of every block: success or a VmcoreError, nothing else. */
async function exercise(bytes: Uint8Array): Promise<'ok' | string> {
  try {
    const guest = await openElfGuest(new MemorySource(bytes, 'fuzz.elf'));
    for (const block of guest.blocks) {
      await guest.read(block.start, Math.min(block.size, 0x10000));
      let n = 0;
      for await (const chunk of guest.chunks({
        chunkSize: 0x10000,
        filter: { begin: block.start, length: Math.min(block.size, 0x40000) },
      })) {
        expect(chunk.bytes.length).toBeLessThanOrEqual(0x10000);
        if (++n > 4) break;
      }
    }
    return 'ok';
  } catch (error) {
    if (isVmcoreError(error)) return error.code;
    throw error;
  }
}

function patched(edit: (view: DataView) => void): Uint8Array {
  const copy = file.slice();
  edit(new DataView(copy.buffer));
  return copy;
}

const PH = (i: number, field: number) => 64 + 56 * i + field;
const P_OFFSET = 8,
  P_PADDR = 24,
  P_FILESZ = 32,
  P_MEMSZ = 40;

describe('readElfCore on malformed input', () => {
  it('accepts the valid file', async () => {
    expect(await exercise(file)).toBe('ok');
  });

  it('rejects a truncation at every header, note and segment boundary with a VmcoreError', async () => {
    for (const b of boundaries) {
      for (const cut of [b - 1, b, b + 1]) {
        if (cut < 0 || cut >= file.length) continue;
        expect(await exercise(file.subarray(0, cut)), `cut at ${cut}`).not.toBe('ok');
      }
    }
  });

  it('rejects every truncation inside the headers and notes', async () => {
    const notesEnd = (await readElfCore(new MemorySource(file))).loads[0]!.fileOffset;
    for (let cut = 0; cut < notesEnd; cut++) expect(await exercise(file.subarray(0, cut))).not.toBe('ok');
  });

  it.each([
    ['bad magic', (v: DataView) => v.setUint8(1, 0x46), 'VMCORE_BAD_MAGIC'],
    ['an unknown class', (v: DataView) => v.setUint8(4, 3), 'VMCORE_UNSUPPORTED'],
    ['an unknown byte order', (v: DataView) => v.setUint8(5, 0), 'VMCORE_UNSUPPORTED'],
    ['an executable instead of a core', (v: DataView) => v.setUint16(16, 2, true), 'VMCORE_UNSUPPORTED'],
    ['a wrong e_phentsize', (v: DataView) => v.setUint16(54, 55, true), 'VMCORE_CORRUPT'],
    [
      'PN_XNUM without section headers',
      (v: DataView) => {
        v.setUint16(56, 0xffff, true);
        v.setBigUint64(40, 0n, true);
      },
      'VMCORE_CORRUPT',
    ],
    [
      'PN_XNUM with an absurd count',
      (v: DataView) => {
        v.setUint16(56, 0xffff, true);
        v.setUint32(Number(v.getBigUint64(40, true)) + 44, 0xffffffff, true);
      },
      'VMCORE_TOO_LARGE',
    ],
    ['more program headers than the file holds', (v: DataView) => v.setUint16(56, 5000, true), 'VMCORE_TRUNCATED'],
    ['e_phoff past the end of the file', (v: DataView) => v.setBigUint64(32, 1n << 40n, true), 'VMCORE_TRUNCATED'],
    ['a note segment of 100 MiB', (v: DataView) => v.setBigUint64(PH(0, P_FILESZ), 100n << 20n, true), 'VMCORE_TOO_LARGE'],
    [
      'note segments adding up past 64 MiB',
      (v: DataView) => {
        v.setBigUint64(PH(0, P_FILESZ), 40n << 20n, true);
        v.setUint32(PH(1, 0), 4, true);
        v.setBigUint64(PH(1, P_FILESZ), 40n << 20n, true);
      },
      'VMCORE_TOO_LARGE',
    ],
    [
      'a note segment past the end of the file',
      (v: DataView) => v.setBigUint64(PH(0, P_OFFSET), BigInt(file.length - 8), true),
      'VMCORE_TRUNCATED',
    ],
    [
      'a note running past its segment',
      (v: DataView) => v.setUint32(Number(v.getBigUint64(PH(0, P_OFFSET), true)) + 4, 0x10000, true),
      'VMCORE_CORRUPT',
    ],
    ['a segment past the end of the file', (v: DataView) => v.setBigUint64(PH(2, P_OFFSET), BigInt(file.length), true), 'VMCORE_TRUNCATED'],
    ['p_filesz above p_memsz', (v: DataView) => v.setBigUint64(PH(1, P_FILESZ), 0x3000n, true), 'VMCORE_CORRUPT'],
    ['a segment over the program header table', (v: DataView) => v.setBigUint64(PH(1, P_OFFSET), 64n, true), 'VMCORE_CORRUPT'],
    ['segments overlapping with different bytes', (v: DataView) => v.setBigUint64(PH(2, P_PADDR), 0x1000n, true), 'VMCORE_CORRUPT'],
    ['a physical address beyond 2^53', (v: DataView) => v.setBigUint64(PH(1, P_PADDR), 1n << 60n, true), 'VMCORE_CORRUPT'],
    ['an e_shstrndx naming no section', (v: DataView) => v.setUint16(62, 9, true), 'VMCORE_CORRUPT'],
  ])('rejects %s', async (_name, edit, code) => {
    expect(await exercise(patched(edit))).toBe(code);
  });

  it('zero-fills p_memsz beyond p_filesz instead of reading the file', async () => {
    const bytes = patched((v) => v.setBigUint64(PH(2, P_MEMSZ), 0x100000000n, true));
    const guest = await openElfGuest(new MemorySource(bytes));
    expect(guest.blocks[1]).toEqual({ start: 0x3000, size: 0x100000000 });
    expect(await guest.read(0x3000 + 0x1000, 8)).toEqual(new Uint8Array(8));
  });

  it('survives random byte mutations: only success or VmcoreError, in bounded time', async () => {
    const headerEnd = (await readElfCore(new MemorySource(file))).loads[0]!.fileOffset;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: headerEnd - 1 }), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }),
        async (edits) => {
          const copy = file.slice();
          for (const [at, value] of edits) copy[at] = value;
          const started = performance.now();
          const result = await exercise(copy);
          expect(typeof result).toBe('string');
          expect(performance.now() - started).toBeLessThan(2000);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('survives random 64-bit field overwrites in the program headers', async () => {
    const phdrCount = (await readElfCore(new MemorySource(file))).header.phdrCount;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: phdrCount * 7 - 1 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), async (slot, value) => {
        const copy = file.slice();
        new DataView(copy.buffer).setBigUint64(64 + Math.floor(slot / 7) * 56 + (slot % 7) * 8, value, true);
        expect(typeof (await exercise(copy))).toBe('string');
      }),
      { numRuns: 300 },
    );
  });
});
