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
export { VMCOREINFO_NOTE_NAME, findVmcoreinfoNote, encodeVmcoreinfoNote } from './note.js';
export { parseVmcoreinfo, vmcoreinfoText } from './vmcoreinfo.js';
export type { Vmcoreinfo, VmcoreinfoEntry } from './vmcoreinfo.js';
export { scanForVmcoreinfoNote, chunksFromBlocks } from './scan.js';
export type { PhysChunk, PhysRange, ScannedVmcoreinfoNote, ScanOptions } from './scan.js';
export { kernelVirtToPhys, physBaseFromMapping, physBaseFromPageTables, kernelText } from './kernel-image.js';
export type { Translate, KernelImage, PhysBaseArch, PageTablePhysBaseOptions, PageTablePhysBase } from './kernel-image.js';
export { physBaseFromVmcoreinfo, qemuPhysBaseFromVmcoreinfo, resolvePhysBase } from './phys-base.js';
export type { PhysBaseSource, ResolvePhysBaseOptions, ResolvedPhysBase } from './phys-base.js';
export { kernelPageSize } from './page-size.js';
