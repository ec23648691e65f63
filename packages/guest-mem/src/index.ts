export type { Arch, DumpInfo, PhysBlock, MemoryMapping, ElfNote, Filter, ChunkOptions, MemoryChunk, GuestMemory } from './model.js';
export {
  EM_386, EM_PPC64, EM_S390, EM_X86_64, EM_AARCH64, X86_64_DUMP_INFO, x86DumpInfo, archFromMachine, defaultPageSize,
} from './dump-info.js';
export {
  mergeBlocks, checkFilter, clipBlock, filterBlocks, filterMappings, simpleMappings, findBlock,
} from './blocks.js';
export { guestFromParts, countCpus, DEFAULT_CHUNK_SIZE, NT_PRSTATUS } from './parts.js';
export type { GuestPart, GuestFromPartsOptions } from './parts.js';
export {
  BlockMapSchema, BlockMapEntrySchema, ExplicitBlockMapSchema, MachineBlockMapSchema, parseBlockMap, expandBlockMap, belowFourGiB,
} from './block-map.js';
export type { BlockMap, BlockMapEntry } from './block-map.js';
export { openRamGuest } from './ram-guest.js';
export type { OpenRamGuestOptions } from './ram-guest.js';
export {
  X86_64_REGISTERS, X86_64_PRSTATUS, I386_REGISTERS, I386_PRSTATUS, QEMU_CPU_SEGMENT, QEMU_CPU_STATE, QEMU_CPU_STATE_VERSION,
  QEMU_SEGMENTS, ZERO_SEGMENT,
  decodeX86_64Prstatus, encodeX86_64Prstatus, decodeI386Prstatus, encodeI386Prstatus, decodeQemuCpuState, encodeQemuCpuState,
  x86CpuNotes, decodeCpuNote,
} from './cpu/x86.js';
export type {
  X86_64Register, X86_64Prstatus, I386Register, I386Prstatus, QemuCpuSegment, QemuCpuState, DecodedCpuNote,
} from './cpu/x86.js';
export {
  pagingMappings, guestPagingMappings, x86PagingCpuFromQemuNote, x86PagingCpusFromNotes, x86LongMode, x86PagingMode,
} from './paging/index.js';
export type { PagingOptions, X86PagingCpu, X86PagingMode } from './paging/index.js';
