export {
  FW_CFG_VMCOREINFO_FILENAME,
  FW_CFG_VMCOREINFO_SIZE,
  VMCOREINFO_FORMAT_NONE,
  VMCOREINFO_FORMAT_ELF,
  encodeFwCfgVmcoreinfo,
  decodeFwCfgVmcoreinfo,
  resetFwCfgVmcoreinfo,
  acceptFwCfgWrite,
} from './fw-cfg.js';
export type { FwCfgVmcoreinfo, FwCfgVmcoreinfoState } from './fw-cfg.js';
export { MAX_GUEST_NOTE_SIZE, readGuestNoteFromEntry } from './guest-note.js';
export type { ReadPhys, GuestNoteTarget, GuestNoteResult } from './guest-note.js';
export {
  VMCOREINFO_NOTE_NAME,
  NOTE_HEADER_SIZE,
  elfNoteSize,
  readNoteHeader,
  encodeNote,
  parseNotes,
  findVmcoreinfoNote,
  encodeVmcoreinfoNote,
} from './note.js';
export type { ElfNoteLike, ParsedNote } from './note.js';
export { parseVmcoreinfo, vmcoreinfoText } from './vmcoreinfo.js';
export type { Vmcoreinfo, VmcoreinfoEntry } from './vmcoreinfo.js';
export { scanForVmcoreinfoNote, chunksFromBlocks } from './scan.js';
export type { PhysChunk, PhysRange, ScannedVmcoreinfoNote, ScanOptions } from './scan.js';
export {
  X86_64_START_KERNEL_MAP,
  X86_64_KERNEL_IMAGE_SIZE,
  X86_64_DEFAULT_PHYSICAL_START,
  X86_64PageWalker,
  kernelVirtToPhys,
  physBaseFromMapping,
  physBaseFromPageTables,
  translateWithCpus,
} from './page-tables.js';
export type { X86ControlRegisters, X86Translation, X86PageWalkOptions, PageTablePhysBaseOptions, PageTablePhysBase } from './page-tables.js';
export { physBaseFromVmcoreinfo, qemuPhysBaseFromVmcoreinfo, resolvePhysBase } from './phys-base.js';
export type { PhysBaseArch, PhysBaseSource, ResolvePhysBaseOptions, ResolvedPhysBase } from './phys-base.js';
export { archFromVmcoreinfo, kernelImageVirtToPhys, kernelLinearVirtToPhys, kernelPageSize } from './kernel-arch.js';
export type { KernelArch } from './kernel-arch.js';
