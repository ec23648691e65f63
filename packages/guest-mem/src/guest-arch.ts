import { VmcoreError, VmcoreErrorCode, type Endian } from '@vmcore/bytes';
import { resolvePhysBase, type ResolvedPhysBase, type ResolvePhysBaseOptions, type Translate } from '@vmcore/vmcoreinfo';
import { archByName } from './arch/index.js';
import type { PagingGuest, PagingOptions, TranslateOptions, TypedCpuNote } from './arch/types.js';
import type { ElfNote, GuestMemory, MemoryMapping } from './model.js';

/**
 * QEMU's paging=true mappings for a guest, through its architecture's page-table walker;
 * VMCORE_UNSUPPORTED where the architecture has none.
 */
export async function guestPagingMappings(guest: PagingGuest, options: PagingOptions = {}): Promise<MemoryMapping[]> {
  const tables = archByName(guest.info.arch)?.pageTables;
  if (!tables) {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `paging: memory mappings for ${guest.info.arch} guests are not implemented`);
  }
  return tables.mappings(guest, options);
}

/** Virtual-to-physical translation through the guest's page tables, or undefined when it has none usable. */
export function guestTranslate(guest: PagingGuest, options: TranslateOptions = {}): Translate | undefined {
  return archByName(guest.info.arch)?.pageTables?.translator(guest, options);
}

/** Types a CPU note with the guest's architecture; 'opaque' for an architecture or note we do not know. */
export function decodeCpuNote(note: ElfNote, info: { arch: string; endian: Endian }): TypedCpuNote {
  return archByName(info.arch)?.cpu.decode(note, info.endian) ?? { kind: 'opaque', note };
}

/**
 * phys_base for the kdump sub-header, as @vmcore/vmcoreinfo resolves it with this guest's
 * architecture rules and page tables: the guest's VMCOREINFO note, else a scan of guest memory,
 * else the kernel-image mapping in the page tables of the CPUs in the notes, else 0.
 */
export async function resolveGuestPhysBase(
  guest: Pick<GuestMemory, 'info' | 'blocks' | 'cpuNotes' | 'read' | 'guestNote'>,
  options: Pick<ResolvePhysBaseOptions, 'sources' | 'kernelOffset' | 'chunks'> = {},
): Promise<ResolvedPhysBase> {
  const translate = guestTranslate(guest);
  return resolvePhysBase({
    arch: archByName(guest.info.arch)?.kernel ?? { name: guest.info.arch },
    endian: guest.info.endian,
    ...(guest.guestNote ? { guestNote: guest.guestNote } : {}),
    read: (physAddr, length) => guest.read(physAddr, length),
    blocks: guest.blocks,
    ...(translate ? { translate } : {}),
    ...options,
  });
}
