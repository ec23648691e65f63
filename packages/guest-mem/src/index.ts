export type { Arch, DumpInfo, PhysBlock, MemoryMapping, ElfNote, Filter, ChunkOptions, MemoryChunk, GuestMemory } from './model.js';
export {
  EM_386, EM_PPC64, EM_S390, EM_X86_64, EM_AARCH64, X86_64_DUMP_INFO, x86DumpInfo, archFromMachine, defaultPageSize,
} from './dump-info.js';
export {
  mergeBlocks, checkFilter, clipBlock, filterBlocks, filterMappings, simpleMappings, findBlock,
} from './blocks.js';
export { guestFromParts, countCpus, DEFAULT_CHUNK_SIZE } from './parts.js';
export type { GuestPart, GuestFromPartsOptions } from './parts.js';
export {
  BlockMapSchema, BlockMapEntrySchema, ExplicitBlockMapSchema, MachineBlockMapSchema, parseBlockMap, expandBlockMap, belowFourGiB,
} from './block-map.js';
export type { BlockMap, BlockMapEntry } from './block-map.js';
export { openRamGuest } from './ram-guest.js';
export type { OpenRamGuestOptions } from './ram-guest.js';
// The architecture layer.
export { ARCHES, archByMachine, archByUtsMachine, archByName, utsMachineBits, X86_64, I386, AARCH64, PPC64, S390X, X86_64_KERNEL_IMAGE } from './arch/index.js';
export type {
  ArchDefinition, ArchNames, ArchPageTables, CpuNoteCodec, CpuRegisters, CpuSummary, KernelRules, PagingGuest, PagingOptions,
  TranslateOptions, TypedCpuNote,
} from './arch/index.js';
export { guestPagingMappings, guestTranslate, decodeCpuNote, summarizeCpus, resolveGuestPhysBase } from './guest-arch.js';
// x86 specifics (structs, registers, the walker), for tests and tools that need them directly.
export {
  X86_64_REGISTERS, X86_64_PRSTATUS, I386_REGISTERS, I386_PRSTATUS, QEMU_CPU_SEGMENT, QEMU_CPU_STATE, QEMU_CPU_STATE_VERSION,
  QEMU_SEGMENTS, ZERO_SEGMENT,
  decodeX86_64Prstatus, encodeX86_64Prstatus, decodeI386Prstatus, encodeI386Prstatus, decodeQemuCpuState, encodeQemuCpuState,
  x86CpuNotes, decodeX86CpuNote,
} from './arch/x86-notes.js';
export type {
  X86_64Register, X86_64Prstatus, I386Register, I386Prstatus, QemuCpuSegment, QemuCpuState, DecodedCpuNote,
} from './arch/x86-notes.js';
export {
  CR0_PG, CR4_PSE, CR4_PAE, CR4_LA57, EFER_LMA, x86PagingCpuFromQemuNote, x86PagingCpusFromNotes, x86LongMode, x86PagingMode,
} from './arch/x86-cpu.js';
export type { X86PagingCpu, X86PagingMode } from './arch/x86-cpu.js';
export { pagingMappings, x86Translate, X86Translator } from './arch/x86-paging.js';
export type { X86TranslatorOptions } from './arch/x86-paging.js';
export type { X86Translation } from './arch/x86-paging.js';
export type { ReadPhys } from './paging/phys-reader.js';
