import { defineStruct } from '@vmcore/bytes';

/**
 * The Windows crash-dump header as QEMU's include/qemu/win_dump_defs.h describes it
 * (WinDumpHeader64, 8192 bytes). PhysicalMemoryBlock (WinDumpPhyMemDesc64) is inlined: its
 * 704-byte buffer holds the run count, the page count and 43 runs of {BasePage, PageCount}.
 */
export const WIN_DUMP_HEADER64 = defineStruct('WinDumpHeader64', [
  ['Signature', { chars: 4 }],
  ['ValidDump', { chars: 4 }],
  ['MajorVersion', 'u32'],
  ['MinorVersion', 'u32'],
  ['DirectoryTableBase', 'u64'],
  ['PfnDatabase', 'u64'],
  ['PsLoadedModuleList', 'u64'],
  ['PsActiveProcessHead', 'u64'],
  ['MachineImageType', 'u32'],
  ['NumberProcessors', 'u32'],
  ['BugcheckCode', 'u32'],
  ['unused0', 'u32'],
  ['BugcheckParameter1', 'u64'],
  ['BugcheckParameter2', 'u64'],
  ['BugcheckParameter3', 'u64'],
  ['BugcheckParameter4', 'u64'],
  ['VersionUser', { bytes: 32 }],
  ['KdDebuggerDataBlock', 'u64'],
  ['NumberOfRuns', 'u32'],
  ['PhysicalMemoryBlockUnused', 'u32'],
  ['NumberOfPages', 'u64'],
  ['Runs', { bytes: 43 * 16 }],
  ['ContextBuffer', { bytes: 3000 }],
  ['ExceptionRecord', { bytes: 152 }],
  ['DumpType', 'u32'],
  ['unused1', 'u32'],
  ['RequiredDumpSpace', 'u64'],
  ['SystemTime', 'u64'],
  ['Comment', { bytes: 128 }],
  ['SystemUpTime', 'u64'],
  ['MiniDumpFields', 'u32'],
  ['SecondaryDataState', 'u32'],
  ['ProductType', 'u32'],
  ['SuiteMask', 'u32'],
  ['WriterStatus', 'u32'],
  ['unused2', 'u8'],
  ['KdSecondaryVersion', 'u8'],
  ['reserved', { bytes: 4018 }],
] as const);

/** WinDumpHeader32 (4096 bytes): the 32-bit header QEMU accepts with ValidDump 'DUMP'. */
export const WIN_DUMP_HEADER32 = defineStruct('WinDumpHeader32', [
  ['Signature', { chars: 4 }],
  ['ValidDump', { chars: 4 }],
  ['MajorVersion', 'u32'],
  ['MinorVersion', 'u32'],
  ['DirectoryTableBase', 'u32'],
  ['PfnDatabase', 'u32'],
  ['PsLoadedModuleList', 'u32'],
  ['PsActiveProcessHead', 'u32'],
  ['MachineImageType', 'u32'],
  ['NumberProcessors', 'u32'],
  ['BugcheckCode', 'u32'],
  ['BugcheckParameter1', 'u32'],
  ['BugcheckParameter2', 'u32'],
  ['BugcheckParameter3', 'u32'],
  ['BugcheckParameter4', 'u32'],
  ['VersionUser', { bytes: 32 }],
  ['reserved0', 'u32'],
  ['KdDebuggerDataBlock', 'u32'],
  ['NumberOfRuns', 'u32'],
  ['NumberOfPages', 'u32'],
  ['Runs', { bytes: 86 * 8 }],
  ['PhysicalMemoryBlockPad', { bytes: 4 }],
  ['reserved1', { bytes: 3200 }],
  ['RequiredDumpSpace', 'u32'],
  ['reserved2', { bytes: 92 }],
] as const);

/** WinDumpPhyMemRun64 / WinDumpPhyMemRun32. */
export const WIN_DUMP_RUN64 = defineStruct('WinDumpPhyMemRun64', [
  ['BasePage', 'u64'],
  ['PageCount', 'u64'],
] as const);
export const WIN_DUMP_RUN32 = defineStruct('WinDumpPhyMemRun32', [
  ['BasePage', 'u32'],
  ['PageCount', 'u32'],
] as const);

/** Where BugcheckCode..BugcheckParameter4 (QEMU's BugcheckData union) lie, and their size. */
export const BUGCHECK_DATA64 = { offset: WIN_DUMP_HEADER64.offsets.BugcheckCode, size: 40 } as const;
export const BUGCHECK_DATA32 = { offset: WIN_DUMP_HEADER32.offsets.BugcheckCode, size: 20 } as const;

/** VMCOREINFO_ELF_NOTE_HDR_SIZE: the header sits after a 12-byte Elf64_Nhdr and the name "VMCOREINFO\0" padded to 12. */
export const VMCOREINFO_ELF_NOTE_HDR_SIZE = 24;
export const VMCOREINFO_WIN_DUMP_NOTE_SIZE64 = WIN_DUMP_HEADER64.size + VMCOREINFO_ELF_NOTE_HDR_SIZE;
export const VMCOREINFO_WIN_DUMP_NOTE_SIZE32 = WIN_DUMP_HEADER32.size + VMCOREINFO_ELF_NOTE_HDR_SIZE;

/**
 * Offsets into KDDEBUGGER_DATA64 that QEMU reads (KDBG_*_OFFSET64; QEMU uses them for 32-bit
 * guests too).
 */
export const KDBG_OWNER_TAG_OFFSET = 0x10n;
export const KDBG_KI_BUGCHECK_DATA_OFFSET = 0x88n;
export const KDBG_MM_PFN_DATABASE_OFFSET = 0xc0n;
export const KDBG_KI_PROCESSOR_BLOCK_OFFSET = 0x218n;
export const KDBG_OFFSET_PRCB_CONTEXT_OFFSET = 0x338n;

/** BugcheckCode QEMU writes when the guest saved none: the system was alive. */
export const LIVE_SYSTEM_DUMP = 0x161;
export const WIN_DUMP_PAGE_SIZE = 4096;
