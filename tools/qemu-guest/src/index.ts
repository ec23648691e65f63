export { QmpClient, QmpError, QmpLineConnection, type QmpEvent, type QmpGreeting } from './qmp-client.js';
export { bootGuest, OVMF_IMAGE, type BootOptions, type Firmware, type RunningGuest } from './boot.js';
export {
  referenceGuest,
  filteredRanges,
  variantName,
  type ReferenceGuest,
  type ReferenceGuestOptions,
  type FilteredElf,
  type BlockMapBlock,
  type ReferenceFacts,
  readVmcoreinfoFromRam,
} from './reference.js';
export { makeSample, type SampleInfo } from './sample.js';
export { parseMtreeFlat, physMapFromMtree, RAM_BACKEND_ID, type MtreeRange, type PhysMapBlock } from './mtree.js';
export { readElfLoads, readElfNotes, type ElfLoad, type ElfNoteInfo } from './elf-phdrs.js';
export { parseConsoleFacts, type GuestFacts } from './facts.js';
export {
  verifyPagesWithLibkdumpfile,
  makedumpfileDmesg,
  findInKernelLogWithLibkdumpfile,
  type PageVerification,
  type KernelLogSearch,
} from './verify.js';
export { buildInitramfs, INIT_SCRIPT } from './initramfs.js';
export { cacheRoot, findHostKernel, repoRoot, type HostKernel } from './paths.js';
export { qmpSessionWithFds, type FdSessionStep, type FdSessionResult } from './fd-session.js';
export {
  GUEST_ARCHES,
  GUEST_ARCH_SPECS,
  qemuBinary,
  guestKernel,
  foreignKernelsRoot,
  type GuestArch,
  type GuestArchSpec,
  type GuestKernel,
} from './guest-arch.js';
export { FOREIGN_INIT_SCRIPT } from './initramfs.js';
export { withLock } from './lock.js';
export { cachedBuild, type CachedBuildSpec } from './cached-build.js';
