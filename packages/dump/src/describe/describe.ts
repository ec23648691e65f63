import { isVmcoreError, parseNotes, type Endian } from '@vmcore/bytes';
import { kernelImageVirtToPhys, summarizeCpus, type Arch, type CpuSummary, type GuestMemory, type PhysBlock } from '@vmcore/guest-mem';
import type { Vmcoreinfo } from '@vmcore/vmcoreinfo';
import {
  parseVmcoreinfo,
  readWinDump,
  resolveGuestPhysBase,
  vmcoreinfoText,
  type ResolvedPhysBase,
  type WinDumpInfo,
} from '../backends.js';
import type { RandomAccessSource } from '@vmcore/bytes';
import { detectFormat, type DetectedFormat } from '../detect.js';
import { guestFromSource } from '../open.js';
import { kdumpDetails, elfDetails, type KdumpDetails, type ElfDetails } from './details.js';
import {
  classifyPages,
  panicSummary,
  readKernelLog,
  type ExcludedPageCounts,
  type KernelLogSource,
  type PanicSummary,
} from '@vmcore/linux';
import { guestKernel } from '../kernel.js';

export interface NoteSummary {
  readonly name: string;
  readonly type: number;
  readonly size: number;
}

export interface PhysBaseInfo {
  readonly value: bigint;
  /** 'vmcoreinfo' | 'vmcoreinfo-scan' | 'page-tables' | 'default' (from @vmcore/vmcoreinfo), or 'kdump header'. */
  readonly source: string;
}

export interface VmcoreinfoSummary {
  readonly osrelease?: string;
  readonly pageSize?: number;
  readonly crashtime?: number;
  /** Number of KEY=value lines. */
  readonly entries: number;
  /** Set when the file has no VMCOREINFO note and this one was found by scanning guest memory. */
  readonly foundAt?: number;
  readonly text: string;
}

/** What `vmcore info` shows; every field comes from the file, nothing is assumed. */
export interface DumpDescription {
  readonly file: string;
  readonly fileSize: number;
  readonly format: DetectedFormat;
  readonly elfClass: 32 | 64;
  readonly endian: Endian;
  readonly machine: number;
  readonly arch: Arch;
  readonly pageSize: number;
  readonly blocks: readonly PhysBlock[];
  /** Sum of the block sizes. */
  readonly ramBytes: number;
  readonly nrCpus: number;
  /** PC, SP, page-table base and registers of each CPU, decoded from the CPU notes. */
  readonly cpus: readonly CpuSummary[];
  /**
   * The kernel's page-table root when no CPU note holds one (aarch64, ppc64, riscv64):
   * swapper_pg_dir from VMCOREINFO, virtual and physical.
   */
  readonly kernelPageTable?: { readonly symbol: string; readonly virt: bigint; readonly phys?: bigint };
  /** CPU notes, then the guest note (VMCOREINFO) if any. */
  readonly notes: readonly NoteSummary[];
  readonly vmcoreinfo?: VmcoreinfoSummary;
  /** phys_base as the vmcoreinfo package resolves it for this guest. */
  readonly physBase?: PhysBaseInfo;
  readonly kdump?: KdumpDetails;
  readonly elf?: ElfDetails;
  /** A Windows dump's header (signature, version, CPUs, bugcheck, KDBG, DirectoryTableBase, runs). */
  readonly winDmp?: WinDumpInfo;
  /** What the guest's Linux kernel says (with VMCOREINFO): its log and how it died. */
  readonly kernel?: KernelSummary;
  /** For a kdump file with a dump level: the pages left out, per class (classified again from the file's mem_map). */
  readonly excluded?: Readonly<ExcludedPageCounts>;
  /** Things that could not be determined, said plainly. */
  readonly warnings: readonly string[];
}

export interface KernelSummary {
  readonly logSource: KernelLogSource;
  readonly logRecords: number;
  /** The last "Kernel panic", "BUG:" and "Oops" lines, when the log has any. */
  readonly panic?: PanicSummary;
}

async function kernelFacts(guest: GuestMemory, resolved: ResolvedPhysBase, kdump: KdumpDetails | undefined, warnings: string[]) {
  let opened;
  try {
    opened = await guestKernel(guest, resolved);
  } catch {
    return {}; // no VMCOREINFO: nothing to say about the kernel
  }
  let kernel: KernelSummary | undefined;
  try {
    const log = await readKernelLog(opened.kernel);
    const panic = panicSummary(log.records);
    kernel = { logSource: log.source, logRecords: log.records.length, ...(panic ? { panic } : {}) };
  } catch (error) {
    warnings.push(`kernel log: ${(error as Error).message}`);
  }
  let excluded: ExcludedPageCounts | undefined;
  if (kdump && kdump.excludedPages > 0) {
    try {
      const blocks = kdump.existingRuns.map((r) => ({
        start: r.start * guest.info.pageSize,
        size: (r.end - r.start) * guest.info.pageSize,
      }));
      const exclusion = await classifyPages(opened.kernel, { dumpLevel: kdump.dumpLevel, blocks });
      excluded = { ...exclusion.counts };
      if (exclusion.excludedPages !== kdump.excludedPages) {
        warnings.push(
          `the file leaves out ${kdump.excludedPages} pages, but dump level ${kdump.dumpLevel} on its mem_map gives ${exclusion.excludedPages}`,
        );
      }
    } catch (error) {
      warnings.push(`excluded pages per class: ${(error as Error).message}`);
    }
  }
  return { ...(kernel ? { kernel } : {}), ...(excluded ? { excluded } : {}) };
}

/** The first note of an in-memory note (header, padded name, padded descriptor), by @vmcore/bytes' note codec. */
export function splitNote(note: Uint8Array, endian: Endian): { name: string; type: number; desc: Uint8Array } | undefined {
  try {
    return parseNotes(note, endian, { what: 'guest note' })[0];
  } catch (error) {
    if (isVmcoreError(error)) return undefined;
    throw error;
  }
}

function summarizeVmcoreinfo(desc: Uint8Array, warnings: string[], parsed: { info?: Vmcoreinfo }): VmcoreinfoSummary {
  const text = vmcoreinfoText(desc);
  const entries = text.split('\n').filter((line) => line.includes('=')).length;
  try {
    const info = parseVmcoreinfo(text);
    parsed.info = info;
    return {
      ...(info.osrelease !== undefined ? { osrelease: info.osrelease } : {}),
      ...(info.pageSize !== undefined ? { pageSize: info.pageSize } : {}),
      ...(info.crashtime !== undefined ? { crashtime: Number(info.crashtime) } : {}),
      entries,
      text,
    };
  } catch (error) {
    warnings.push(`VMCOREINFO does not parse: ${(error as Error).message}`);
    return { entries, text };
  }
}

async function physBaseOf(
  guest: GuestMemory,
  warnings: string[],
  keep: (r: ResolvedPhysBase) => void,
): Promise<PhysBaseInfo & { scanned?: { note: Uint8Array; physAddr: number } }> {
  const resolved = await resolveGuestPhysBase(guest);
  keep(resolved);
  if (resolved.source === 'default' && resolved.warning) warnings.push(`phys_base: ${resolved.warning}`);
  const scanned =
    !guest.guestNote && resolved.note && resolved.notePhysAddr !== undefined
      ? { note: resolved.note, physAddr: resolved.notePhysAddr }
      : undefined;
  return { value: resolved.value, source: resolved.source, ...(scanned ? { scanned } : {}) };
}

/**
 * Everything `vmcore info` prints about a dump. Closes the source when done (the guest owns it).
 * Described, not refused: info is how a user finds out a file is incomplete or sparse.
 */
export async function describeSource(source: RandomAccessSource, options: { signal?: AbortSignal } = {}): Promise<DumpDescription> {
  const format = await detectFormat(source);
  const { signal } = options;
  const guest = await guestFromSource(source, format, { allowIncomplete: true, allowSparse: true, ...(signal ? { signal } : {}) });
  const warnings: string[] = [];
  try {
    const notes: NoteSummary[] = guest.cpuNotes.map((n) => ({ name: n.name, type: n.type, size: n.desc.length }));
    let vmcoreinfo: VmcoreinfoSummary | undefined;
    const parsed: { info?: Vmcoreinfo } = {};
    let cpus: CpuSummary[] = [];
    try {
      cpus = summarizeCpus(guest.cpuNotes, guest.info);
    } catch (error) {
      warnings.push(`CPU notes do not decode: ${(error as Error).message}`);
    }
    if (guest.guestNote) {
      const note = splitNote(guest.guestNote, guest.info.endian);
      if (note) {
        notes.push({ name: note.name, type: note.type, size: note.desc.length });
        // A Windows guest's driver puts its dump header (PAGEDU64/PAGEDUMP) in the VMCOREINFO note.
        const windowsHeader = /^PAGEDU(64|MP)/.test(String.fromCharCode(...note.desc.subarray(0, 8)));
        if (note.name === 'VMCOREINFO' && windowsHeader)
          warnings.push('the VMCOREINFO note holds a Windows dump header (the guest can be dumped as win-dmp)');
        else if (note.name === 'VMCOREINFO') vmcoreinfo = summarizeVmcoreinfo(note.desc, warnings, parsed);
      } else {
        warnings.push('the guest note header is malformed');
      }
    }
    const winDmp = format === 'win-dmp' ? (await readWinDump(source)).info : undefined;
    // phys_base is a Linux notion: a Windows dump has none.
    let resolved: ResolvedPhysBase | undefined;
    const found = winDmp
      ? undefined
      : await physBaseOf(guest, warnings, (r) => (resolved = r)).catch((error: unknown) => {
          warnings.push(`phys_base: ${(error as Error).message}`);
          return undefined;
        });
    const scanned = found?.scanned;
    const physBase: PhysBaseInfo | undefined = found ? { value: found.value, source: found.source } : undefined;
    if (scanned && !vmcoreinfo) {
      const note = splitNote(scanned.note, guest.info.endian);
      if (note) vmcoreinfo = { ...summarizeVmcoreinfo(note.desc, warnings, parsed), foundAt: scanned.physAddr };
    }
    const swapper = cpus.some((c) => c.pageTableBase) ? undefined : parsed.info?.symbols.get('swapper_pg_dir');
    const kernelPageTable =
      swapper === undefined || !parsed.info || !physBase
        ? undefined
        : {
            symbol: 'swapper_pg_dir',
            virt: swapper,
            ...(() => {
              const phys = kernelImageVirtToPhys(guest.info.arch, parsed.info, swapper, physBase?.value ?? 0n);
              return phys === undefined ? {} : { phys };
            })(),
          };
    const kdump = format === 'kdump' || format === 'kdump-flattened' ? await kdumpDetails(source, format, signal) : undefined;
    if (kdump?.incomplete) {
      warnings.push(
        'INCOMPLETE dump: the kdump header has status DUMP_DH_COMPRESSED_INCOMPLETE (0x8); its writer failed or was stopped, so pages may be missing or unreadable',
      );
    }
    const elf = format === 'elf' ? await elfDetails(source) : undefined;
    // The kernel is read with the VMCOREINFO phys_base resolution found (no second memory scan).
    const facts = resolved ? await kernelFacts(guest, resolved, kdump, warnings) : {};
    return {
      file: source.name,
      fileSize: source.size,
      format,
      elfClass: guest.info.elfClass,
      endian: guest.info.endian,
      machine: guest.info.machine,
      arch: guest.info.arch,
      pageSize: guest.info.pageSize,
      blocks: guest.blocks.map((b) => ({ ...b })),
      ramBytes: guest.blocks.reduce((sum, b) => sum + b.size, 0),
      nrCpus: guest.nrCpus,
      cpus,
      ...(kernelPageTable ? { kernelPageTable } : {}),
      notes,
      ...(vmcoreinfo ? { vmcoreinfo } : {}),
      ...(physBase ? { physBase } : {}),
      ...(kdump ? { kdump } : {}),
      ...(elf ? { elf } : {}),
      ...(winDmp ? { winDmp } : {}),
      ...facts,
      warnings,
    };
  } finally {
    await guest.close();
  }
}
