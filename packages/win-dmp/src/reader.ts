import { VmcoreError, VmcoreErrorCode, hex, readExact, type RandomAccessSource } from '@vmcore/bytes';
import { guestFromParts, x86DumpInfo, type GuestMemory, type GuestPart } from '@vmcore/guest-mem';
import { WinDumpHeaderBytes, type WinDumpRun } from './header.js';
import { WIN_DUMP_HEADER32, WIN_DUMP_HEADER64 } from './layout.js';

/** What `vmcore info` shows of a Windows crash dump; every field read from the file. */
export interface WinDumpInfo {
  readonly signature: string;
  readonly validDump: string;
  readonly x64: boolean;
  readonly headerSize: number;
  readonly majorVersion: number;
  readonly minorVersion: number;
  readonly machineImageType: number;
  readonly numberProcessors: number;
  readonly bugcheckCode: number;
  readonly bugcheckParameters: readonly [bigint, bigint, bigint, bigint];
  readonly kdDebuggerDataBlock: bigint;
  readonly directoryTableBase: bigint;
  readonly pfnDatabase: bigint;
  readonly psLoadedModuleList: bigint;
  readonly psActiveProcessHead: bigint;
  readonly requiredDumpSpace: bigint;
  /** DumpType (1 = full dump); 64-bit headers only. */
  readonly dumpType?: number;
  readonly numberOfPages: bigint;
  readonly runs: readonly WinDumpRun[];
}

export interface WinDumpFile {
  readonly info: WinDumpInfo;
  /** Where each run's bytes are in the file. */
  readonly extents: readonly { readonly physAddr: number; readonly size: number; readonly fileOffset: number }[];
}

const MAX_RUN_BYTES = 2 ** 52;

/** Parses and checks a win-dmp's header and runs against the file's size. */
export async function readWinDump(source: RandomAccessSource): Promise<WinDumpFile> {
  const magic = await readExact(source, 0, 8, 'win-dmp signature');
  const text = String.fromCharCode(...magic);
  if (text !== 'PAGEDU64' && text !== 'PAGEDUMP') {
    throw new VmcoreError(VmcoreErrorCode.BadMagic, `${source.name}: offset 0 holds '${text}', expected 'PAGEDU64' or 'PAGEDUMP'`);
  }
  const x64 = text === 'PAGEDU64';
  const layout = x64 ? WIN_DUMP_HEADER64 : WIN_DUMP_HEADER32;
  const bytes = await readExact(source, 0, layout.size, 'win-dmp header');
  const h = new WinDumpHeaderBytes(bytes, x64);
  const v = layout.decode(bytes, 'le') as Record<string, unknown>;
  const big = (name: string) => BigInt(v[name] as number | bigint);
  const runs = h.runs();
  const extents: { physAddr: number; size: number; fileOffset: number }[] = [];
  let fileOffset = layout.size;
  for (const [i, run] of runs.entries()) {
    const start = run.basePage * 4096n;
    const size = run.pageCount * 4096n;
    if (start + size > BigInt(MAX_RUN_BYTES) || fileOffset + Number(size) > source.size) {
      throw new VmcoreError(
        VmcoreErrorCode.Truncated,
        `${source.name}: run ${i} [${hex(start)}, +${hex(size)}) needs file bytes up to ${hex(fileOffset + Number(size))}, but the file has ${hex(source.size)}`,
      );
    }
    const previous = extents[extents.length - 1];
    if (previous && Number(start) < previous.physAddr + previous.size) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `${source.name}: run ${i} at ${hex(start)} overlaps or precedes run ${i - 1}`);
    }
    if (size > 0n) extents.push({ physAddr: Number(start), size: Number(size), fileOffset });
    fileOffset += Number(size);
  }
  return {
    info: {
      signature: String(v['Signature']),
      validDump: String(v['ValidDump']),
      x64,
      headerSize: layout.size,
      majorVersion: v['MajorVersion'] as number,
      minorVersion: v['MinorVersion'] as number,
      machineImageType: v['MachineImageType'] as number,
      numberProcessors: v['NumberProcessors'] as number,
      bugcheckCode: v['BugcheckCode'] as number,
      bugcheckParameters: [big('BugcheckParameter1'), big('BugcheckParameter2'), big('BugcheckParameter3'), big('BugcheckParameter4')],
      kdDebuggerDataBlock: big('KdDebuggerDataBlock'),
      directoryTableBase: big('DirectoryTableBase'),
      pfnDatabase: big('PfnDatabase'),
      psLoadedModuleList: big('PsLoadedModuleList'),
      psActiveProcessHead: big('PsActiveProcessHead'),
      requiredDumpSpace: big('RequiredDumpSpace'),
      ...(x64 ? { dumpType: v['DumpType'] as number } : {}),
      numberOfPages: h.numberOfPages(),
      runs,
    },
    extents,
  };
}

/**
 * A Windows full dump as guest-physical memory (the reverse of QEMU's contrib/elf2dmp): one
 * block per run, read from the file in place. It has no CPU notes (the contexts stay where they
 * are, in guest memory) and no guest note.
 */
export async function openWinDumpGuest(source: RandomAccessSource): Promise<GuestMemory> {
  const file = await readWinDump(source);
  const parts: GuestPart[] = file.extents.map((e) => ({ start: e.physAddr, size: e.size, source, offset: e.fileOffset }));
  const blocks = parts.map((p) => ({ start: p.start, size: p.size }));
  return guestFromParts({
    info: x86DumpInfo({ longMode: file.info.x64, blocks }),
    parts,
    nrCpus: 0,
    close: async () => {
      await source.close?.();
    },
  });
}
