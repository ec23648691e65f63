import { readFile } from 'node:fs/promises';
import { MemorySource, type RandomAccessSource } from '@vmcore/bytes';
import { FileSource } from '@vmcore/bytes/node';
import { openElfGuest } from '@vmcore/elf';
import { guestFromParts, openRamGuest, type GuestMemory } from '@vmcore/guest-mem';
import { readGuestNoteFromEntry } from '@vmcore/vmcoreinfo';
import type { WinReferenceGuest } from '@vmcore/win-guest';
import { writeWinDump, type WriteWinDumpOptions, type WinDumpResult } from '../src/index.js';

/** The guest as QEMU's ELF of it describes it. */
export async function elfGuest(ref: WinReferenceGuest): Promise<GuestMemory> {
  return openElfGuest(await FileSource.open(ref.qemuElf));
}

/**
 * The guest from its RAM file (or RAM bytes): QEMU's blocks of it, the CPU state from QEMU's ELF
 * (registers are not in RAM), and the guest note read through the fw_cfg entry as QEMU does.
 */
export async function ramGuest(ref: WinReferenceGuest, ram?: Uint8Array): Promise<GuestMemory> {
  const elf = await elfGuest(ref);
  const cpuNotes = elf.cpuNotes;
  await elf.close();
  const map = JSON.parse(await readFile(ref.mapFile, 'utf8')) as {
    blocks: { start: number; size: number; file: string; offset: number }[];
  };
  const base = ram
    ? guestFromParts({
        info: elf.info,
        parts: map.blocks.map((b) => ({
          start: b.start,
          size: b.size,
          offset: b.offset,
          source: new MemorySource(ram) as RandomAccessSource,
        })),
        cpuNotes,
      })
    : await openRamGuest({ map, baseDir: ref.dir, cpuNotes });
  const note = await readGuestNoteFromEntry(
    { entry: { hostFormat: 0, guestFormat: 1, size: ref.vmcoreinfo.size, paddr: BigInt(ref.vmcoreinfo.paddr) }, hasVmcoreinfo: true },
    (addr, length) => base.read(addr, length),
    { elfClass: elf.info.elfClass, endian: 'le' },
  );
  return {
    ...base,
    read: base.read.bind(base),
    chunks: base.chunks.bind(base),
    close: base.close.bind(base),
    ...(note.ok ? { guestNote: note.note } : { guestNote: undefined }),
  };
}

export async function winDumpBytes(
  guest: GuestMemory,
  options: WriteWinDumpOptions = {},
): Promise<{ bytes: Buffer; result: WinDumpResult }> {
  const chunks: Buffer[] = [];
  const result = await writeWinDump(guest, { write: async (b) => void chunks.push(Buffer.from(b)) }, options);
  return { bytes: Buffer.concat(chunks), result };
}

/** Offsets where two buffers differ (at most `max`). */
export function differences(a: Uint8Array, b: Uint8Array, max = 16): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < max; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}
