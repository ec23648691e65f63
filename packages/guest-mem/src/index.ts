export type {
  Arch,
  QemuTarget,
  DumpInfo,
  PhysBlock,
  MemoryMapping,
  ElfNote,
  Filter,
  ChunkOptions,
  MemoryChunk,
  UnreadChunk,
  MemorySpan,
  GuestMemory,
} from './model.js';
export {
  x86DumpInfo,
  qemuTargetOf,
  withQemuTarget,
  archFromMachine,
  defaultPageSize,
  dumpInfoForArch,
  dumpInfoForBlocks,
} from './dump-info.js';
export { mergeBlocks, checkFilter, clipBlock, filterBlocks, filterMappings, simpleMappings, findBlock } from './blocks.js';
export { guestFromParts, countCpus, DEFAULT_CHUNK_SIZE } from './parts.js';
export type { GuestPart, GuestFromPartsOptions } from './parts.js';
// The block-map schemas and parsers (zod: ~100 ms to load) live at @vmcore/guest-mem/block-map;
// openRamGuest loads them when it runs.
export type { BlockMap, BlockMapEntry } from './block-map.js';
export { openRamGuest } from './ram-guest.js';
export type { OpenRamGuestOptions } from './ram-guest.js';
// The architecture layer: src/arch/index.ts is its one export list.
export * from './arch/index.js';
// Lookups over the layer.
export { guestPagingMappings, guestTranslate, decodeCpuNote, resolveGuestPhysBase } from './guest-arch.js';
export { summarizeCpus, groupCpuNotes, cpuNoteLayouts } from './arch/summary.js';
export { archFromVmcoreinfo, kernelImageVirtToPhys, kernelLinearVirtToPhys } from './kernel-arch.js';
