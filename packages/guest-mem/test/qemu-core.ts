import { expect } from 'vitest';
import { parseNotes, readExact, type RandomAccessSource } from '@vmcore/bytes';
import { guestFromParts, X86_64_DUMP_INFO, type GuestMemory } from '../src/index.js';

const PT_LOAD = 1;
const PT_NOTE = 4;
const PN_XNUM = 0xffff;

interface Phdr {
  type: number;
  offset: number;
  vaddr: bigint;
  paddr: number;
  filesz: number;
  memsz: number;
}

/** Just enough of an ELF64 LE core reader: e_machine, program headers (PN_XNUM aware), notes. */
export async function readCore(source: RandomAccessSource) {
  const eh = new DataView((await readExact(source, 0, 64, 'ELF header')).slice().buffer);
  expect(eh.getUint32(0)).toBe(0x7f454c46);
  const machine = eh.getUint16(0x12, true);
  const phoff = Number(eh.getBigUint64(0x20, true));
  const shoff = Number(eh.getBigUint64(0x28, true));
  let phnum = eh.getUint16(0x38, true);
  if (phnum === PN_XNUM) {
    const sh0 = new DataView((await readExact(source, shoff, 64, 'section header 0')).slice().buffer);
    phnum = sh0.getUint32(0x2c, true);
  }
  const table = await readExact(source, phoff, phnum * 56, 'program headers');
  const view = new DataView(table.buffer, table.byteOffset, table.length);
  const phdrs: Phdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = i * 56;
    phdrs.push({
      type: view.getUint32(at, true),
      offset: Number(view.getBigUint64(at + 8, true)),
      vaddr: view.getBigUint64(at + 16, true),
      paddr: Number(view.getBigUint64(at + 24, true)),
      filesz: Number(view.getBigUint64(at + 32, true)),
      memsz: Number(view.getBigUint64(at + 40, true)),
    });
  }
  const note = phdrs.find((p) => p.type === PT_NOTE)!;
  const noteBytes = await readExact(source, note.offset, note.filesz, 'PT_NOTE');
  const notes = parseNotes(noteBytes, 'le');
  return { machine, loads: phdrs.filter((p) => p.type === PT_LOAD), notes, noteBytes };
}

/**
 * A QEMU x86_64 ELF core as a GuestMemory (PT_LOADs as parts, the notes as CPU notes; the last
 * note as the guest note when it is VMCOREINFO), for e2e tests: @vmcore/elf depends on this
 * package, so its tests cannot use openElfGuest.
 */
export async function coreGuest(source: RandomAccessSource): Promise<GuestMemory> {
  const core = await readCore(source);
  const last = core.notes[core.notes.length - 1];
  const hasGuestNote = last?.name === 'VMCOREINFO';
  const noteBytes = core.noteBytes;
  return guestFromParts({
    info: X86_64_DUMP_INFO,
    parts: core.loads.filter((l) => l.filesz > 0).map((l) => ({ start: l.paddr, size: l.filesz, source, offset: l.offset })),
    cpuNotes: (hasGuestNote ? core.notes.slice(0, -1) : core.notes).map(({ name, type, desc }) => ({ name, type, desc })),
    ...(hasGuestNote ? { guestNote: noteBytes.slice(last.offset, last.offset + last.size) } : {}),
    close: async () => undefined,
  });
}
