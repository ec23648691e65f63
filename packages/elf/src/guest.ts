import type { RandomAccessSource } from '@vmcore/bytes';
import { guestFromParts, type DumpInfo, type GuestMemory, type GuestPart, type PhysBlock } from '@vmcore/guest-mem';
import { VMCOREINFO_NOTE_NAME } from '@vmcore/vmcoreinfo';
import { readElfCore, type ElfCore } from './reader.js';

export { VMCOREINFO_NOTE_NAME };

export interface OpenElfGuestOptions {
  /** Override the page size derived from e_machine. */
  readonly pageSize?: number;
}

/**
 * The guest inside an ELF core: each PT_LOAD is a block (PT_LOADs that overlap, as paging=true
 * dumps have, form one block), p_filesz < p_memsz reads as zeros, the VMCOREINFO note is the
 * guest note and every other note is a CPU note, in file order. close() closes the source.
 */
export async function openElfGuest(source: RandomAccessSource, options: OpenElfGuestOptions = {}): Promise<GuestMemory> {
  return elfCoreGuest(await readElfCore(source), options);
}

export function elfCoreGuest(core: ElfCore, options: OpenElfGuestOptions = {}): GuestMemory {
  const info: DumpInfo = options.pageSize ? { ...core.info, pageSize: options.pageSize } : core.info;
  const ranges = core.loads
    .filter((l) => l.memSize > 0)
    .map((l) => ({ start: l.physAddr, end: l.physAddr + l.memSize }))
    .sort((a, b) => a.start - b.start);
  const blocks: PhysBlock[] = [];
  let current: { start: number; end: number } | undefined;
  for (const r of ranges) {
    if (current && r.start < current.end) current.end = Math.max(current.end, r.end);
    else {
      if (current) blocks.push({ start: current.start, size: current.end - current.start });
      current = { ...r };
    }
  }
  if (current) blocks.push({ start: current.start, size: current.end - current.start });

  const parts: GuestPart[] = core.pieces.map((p) =>
    p.fileOffset === undefined
      ? { start: p.start, size: p.size }
      : { start: p.start, size: p.size, source: core.source, offset: p.fileOffset },
  );
  // QEMU's simple mapping has virtual address 0 and writes p_vaddr = p_paddr; keep that form.
  const mappings = core.loads.map((l) => ({
    physAddr: l.physAddr,
    virtAddr: l.virtAddr === BigInt(l.physAddr) ? 0n : l.virtAddr,
    length: l.memSize,
  }));
  let guestNoteIndex = -1;
  core.notes.forEach((note, i) => {
    if (note.name === VMCOREINFO_NOTE_NAME) guestNoteIndex = i;
  });
  const cpuNotes = core.notes
    .filter((_, i) => i !== guestNoteIndex)
    .map(({ name, type, desc, nameSize }) => (nameSize === undefined ? { name, type, desc } : { name, type, desc, nameSize }));
  const guestNote = guestNoteIndex >= 0 ? core.notes[guestNoteIndex]!.raw : undefined;
  return guestFromParts({
    info,
    parts,
    blocks,
    mappings,
    cpuNotes,
    ...(guestNote ? { guestNote } : {}),
    close: async () => core.source.close?.(),
  });
}
