import { defineStruct } from '@vmcore/bytes';

/**
 * The parts of Windows' public structures the synthetic guest fills, written down here on their
 * own (from the DUMP_HEADER64 and KDDEBUGGER_DATA64 layouts, as in QEMU's win_dump_defs.h and
 * contrib/elf2dmp/kdbg.h) so the guest does not borrow the layouts it is meant to test.
 */
export const DUMP_HEADER64 = defineStruct('DUMP_HEADER64', [
  ['Signature', { chars: 4 }],
  ['ValidDump', { chars: 4 }],
  ['MajorVersion', 'u32'],
  ['MinorVersion', 'u32'],
  ['DirectoryTableBase', 'u64'],
  ['PfnDataBase', 'u64'],
  ['PsLoadedModuleList', 'u64'],
  ['PsActiveProcessHead', 'u64'],
  ['MachineImageType', 'u32'],
  ['NumberProcessors', 'u32'],
  ['BugCheckCode', 'u32'],
  ['BugCheckPad', 'u32'],
  ['BugCheckParameter1', 'u64'],
  ['BugCheckParameter2', 'u64'],
  ['BugCheckParameter3', 'u64'],
  ['BugCheckParameter4', 'u64'],
  ['VersionUser', { chars: 32 }],
  ['KdDebuggerDataBlock', 'u64'],
  ['NumberOfRuns', 'u32'],
  ['PhysicalMemoryBlockPad', 'u32'],
  ['NumberOfPages', 'u64'],
] as const);
export const DUMP_HEADER64_SIZE = 0x2000;
export const RUNS_OFFSET64 = 0x98;
/** DUMP_HEADER64: DumpType at 0xf98, Comment at 0xfb0 (after RequiredDumpSpace and SystemTime). */
export const DUMP_TYPE_OFFSET64 = 0xf98;
export const COMMENT_OFFSET64 = 0xfb0;

/** KDDEBUGGER_DATA64 fields QEMU and elf2dmp read (offsets within the block). */
export const KDBG = {
  ListFlink: 0x0,
  ListBlink: 0x8,
  OwnerTag: 0x10,
  Size: 0x14,
  KernBase: 0x18,
  PsLoadedModuleList: 0x48,
  PsActiveProcessHead: 0x50,
  KiBugcheckData: 0x88,
  MmPfnDatabase: 0xc0,
  KiProcessorBlock: 0x218,
  OffsetPrcbContext: 0x338,
} as const;
/** sizeof(KDDEBUGGER_DATA64) on Windows 10 (a multiple of 8, as the encoding needs). */
export const KDBG_SIZE = 0x368;
