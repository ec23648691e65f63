export {
  WIN_DUMP_HEADER64,
  WIN_DUMP_HEADER32,
  WIN_DUMP_RUN64,
  WIN_DUMP_RUN32,
  VMCOREINFO_ELF_NOTE_HDR_SIZE,
  VMCOREINFO_WIN_DUMP_NOTE_SIZE64,
  VMCOREINFO_WIN_DUMP_NOTE_SIZE32,
  LIVE_SYSTEM_DUMP,
  KDBG_OWNER_TAG_OFFSET,
  KDBG_KI_BUGCHECK_DATA_OFFSET,
  KDBG_MM_PFN_DATABASE_OFFSET,
  KDBG_KI_PROCESSOR_BLOCK_OFFSET,
  KDBG_OFFSET_PRCB_CONTEXT_OFFSET,
} from './layout.js';
export { WIN_CONTEXT64, WIN_CONTEXT32, WIN_CTX64_ALL, WIN_CTX32_FULL_DBG, encodeWinContext } from './context.js';
export type { WinCpuState } from './context.js';
export { winCpusFromGuest, RESET_MXCSR, RESET_DR } from './cpu-state.js';
export type { WinCpuExtras } from './cpu-state.js';
export type { WinDumpRun } from './header.js';
export { planWinDump, winDumpSupported, winDumpAvailable, checkWinDumpHeader, winDumpHeaderProblem } from './prepare.js';
export type { WinDumpOptions, WinDumpPlan, WinDumpHeaderProblem } from './prepare.js';
export type { PhysPatch } from './address-space.js';
export { writeWinDump } from './writer.js';
export type { WriteWinDumpOptions, WinDumpResult } from './writer.js';
export { readWinDump, openWinDumpGuest } from './reader.js';
export type { WinDumpInfo, WinDumpFile } from './reader.js';
