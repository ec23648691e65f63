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
  GuestMemory,
} from './model.js';
export {
  EM_386,
  EM_PPC64,
  EM_S390,
  EM_X86_64,
  EM_AARCH64,
  EM_ARM,
  EM_RISCV,
  EM_LOONGARCH,
  X86_64_DUMP_INFO,
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
export {
  BlockMapSchema,
  BlockMapEntrySchema,
  ExplicitBlockMapSchema,
  MachineBlockMapSchema,
  parseBlockMap,
  expandBlockMap,
  belowFourGiB,
} from './block-map.js';
export type { BlockMap, BlockMapEntry } from './block-map.js';
export { openRamGuest } from './ram-guest.js';
export type { OpenRamGuestOptions } from './ram-guest.js';
// The architecture layer.
export {
  ARCHES,
  archByMachine,
  archByUtsMachine,
  archByName,
  utsMachineBits,
  X86_64,
  I386,
  AARCH64,
  ARM,
  PPC64,
  S390X,
  RISCV64,
  LOONGARCH64,
  X86_64_KERNEL_IMAGE,
} from './arch/index.js';
export type {
  ArchDefinition,
  ArchNames,
  ArchPageTables,
  CpuNoteCodec,
  CpuRegisters,
  CpuSummary,
  KernelRules,
  PagingGuest,
  PagingOptions,
  TranslateOptions,
  TypedCpuNote,
} from './arch/index.js';
export { guestPagingMappings, guestTranslate, decodeCpuNote, resolveGuestPhysBase } from './guest-arch.js';
// x86 specifics (structs, registers, the walker), for tests and tools that need them directly.
export {
  X86_64_REGISTERS,
  X86_64_PRSTATUS,
  I386_REGISTERS,
  I386_PRSTATUS,
  QEMU_CPU_SEGMENT,
  QEMU_CPU_STATE,
  QEMU_CPU_STATE_VERSION,
  QEMU_SEGMENTS,
  ZERO_SEGMENT,
  decodeX86_64Prstatus,
  encodeX86_64Prstatus,
  decodeI386Prstatus,
  encodeI386Prstatus,
  decodeQemuCpuState,
  encodeQemuCpuState,
  x86CpuNotes,
  decodeX86CpuNote,
} from './arch/x86-notes.js';
export type {
  X86_64Register,
  X86_64Prstatus,
  I386Register,
  I386Prstatus,
  QemuCpuSegment,
  QemuCpuState,
  DecodedCpuNote,
} from './arch/x86-notes.js';
export {
  CR0_PG,
  CR4_PSE,
  CR4_PAE,
  CR4_LA57,
  EFER_LMA,
  x86PagingCpuFromQemuNote,
  x86PagingCpusFromNotes,
  x86LongMode,
  x86PagingMode,
} from './arch/x86-cpu.js';
export type { X86PagingCpu, X86PagingMode } from './arch/x86-cpu.js';
export { pagingMappings, x86Translate, X86Translator } from './arch/x86-paging.js';
export type { X86TranslatorOptions } from './arch/x86-paging.js';
export type { X86Translation } from './arch/x86-paging.js';
export type { ReadPhys } from './paging/phys-reader.js';
// Register-note layouts of the other architectures (target/*/arch_dump.c), used by their arch modules.
export {
  NT_PRFPREG,
  NT_PPC_VMX,
  NT_PPC_SPE,
  NT_PPC_VSX,
  NT_S390_TIMER,
  NT_S390_TODCMP,
  NT_S390_TODPREG,
  NT_S390_CTRS,
  NT_S390_PREFIX,
  NT_S390_VXRS_LOW,
  NT_S390_VXRS_HIGH,
  NT_S390_GS_CB,
  NT_S390_PV_CPU_DATA,
  NT_ARM_VFP,
  NT_ARM_SVE,
  registerNoteLayout,
  registerFields,
  decodeRegisterNote,
  encodeRegisterNote,
  matchLayout,
} from './arch/register-note.js';
export type { RegisterNoteLayout, RegisterValues } from './arch/register-note.js';
export {
  AARCH64_PRSTATUS,
  AARCH64_FPSIMD,
  AARCH64_SVE_HEADER,
  AARCH64_NOTE_LAYOUTS,
  aarch64SveNoteSize,
  ARM_PRSTATUS,
  ARM_VFP,
  ARM_NOTE_LAYOUTS,
} from './arch/arm.js';
export {
  S390X_PRSTATUS,
  S390X_FPREGSET,
  S390X_PREFIX,
  S390X_CTRS,
  S390X_TIMER,
  S390X_TODCMP,
  S390X_TODPREG,
  S390X_VXRS_LOW,
  S390X_VXRS_HIGH,
  S390X_GS_CB,
  S390X_NOTE_LAYOUTS,
  s390xAsceOrigin,
} from './arch/s390x.js';
export { PPC64_PRSTATUS, PPC64_FPREGSET, PPC64_VMX, PPC64_VSX, PPC64_SPE, PPC64_NOTE_LAYOUTS } from './arch/ppc64.js';
export { RISCV64_PRSTATUS, RISCV32_PRSTATUS, RISCV64_NOTE_LAYOUTS, RISCV32_NOTE_LAYOUTS } from './arch/riscv64.js';
export { LOONGARCH64_PRSTATUS, LOONGARCH64_FPU, LOONGARCH64_NOTE_LAYOUTS } from './arch/loongarch64.js';
export { summarizeCpus, groupCpuNotes, cpuNoteLayouts } from './arch/summary.js';
export { archFromVmcoreinfo, kernelImageVirtToPhys, kernelLinearVirtToPhys } from './kernel-arch.js';
