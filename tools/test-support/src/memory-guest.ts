import { MemorySource } from '@vmcore/bytes';
import { guestFromParts, type DumpInfo, type ElfNote, type GuestMemory } from '@vmcore/guest-mem';

export interface MemoryGuestBlock {
  readonly start: number;
  readonly bytes: Uint8Array;
  readonly name?: string;
}

export interface MemoryGuestParts {
  readonly info: DumpInfo;
  readonly blocks: readonly MemoryGuestBlock[];
  readonly cpuNotes?: readonly ElfNote[];
  readonly nrCpus?: number;
  readonly guestNote?: Uint8Array;
}

/** A guest held in memory (tests, the demo's synthetic guest), built with guest-mem's guestFromParts. */
export function memoryGuest(parts: MemoryGuestParts): GuestMemory {
  return guestFromParts({
    info: parts.info,
    parts: parts.blocks.map((b) => ({
      start: b.start,
      size: b.bytes.length,
      source: new MemorySource(b.bytes),
      offset: 0,
      ...(b.name ? { name: b.name } : {}),
    })),
    ...(parts.cpuNotes ? { cpuNotes: parts.cpuNotes } : {}),
    ...(parts.nrCpus !== undefined ? { nrCpus: parts.nrCpus } : {}),
    ...(parts.guestNote ? { guestNote: parts.guestNote } : {}),
  });
}
