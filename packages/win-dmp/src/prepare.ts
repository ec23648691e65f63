import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { qemuTargetOf, type GuestMemory, type QemuTarget } from '@vmcore/guest-mem';
import { DebugAddressSpace, type PhysPatch } from './address-space.js';
import { encodeWinContext, type WinCpuState } from './context.js';
import { winCpusFromGuest, type WinCpuExtras } from './cpu-state.js';
import { WinDumpHeaderBytes, printf4s, type WinDumpRun } from './header.js';
import {
  KDBG_KI_BUGCHECK_DATA_OFFSET,
  KDBG_KI_PROCESSOR_BLOCK_OFFSET,
  KDBG_MM_PFN_DATABASE_OFFSET,
  KDBG_OFFSET_PRCB_CONTEXT_OFFSET,
  KDBG_OWNER_TAG_OFFSET,
  LIVE_SYSTEM_DUMP,
  VMCOREINFO_ELF_NOTE_HDR_SIZE,
  VMCOREINFO_WIN_DUMP_NOTE_SIZE32,
  VMCOREINFO_WIN_DUMP_NOTE_SIZE64,
  WIN_DUMP_HEADER32,
  WIN_DUMP_HEADER64,
} from './layout.js';
import { x86Translate } from './translate.js';

export interface WinDumpOptions {
  /** CPU state per CPU; default: from the guest's "QEMU" notes. */
  readonly cpus?: readonly WinCpuState[];
  /** MXCSR and debug registers the notes lack (default: reset values). */
  readonly cpuExtras?: readonly WinCpuExtras[];
  /** QEMU's warn_report() lines (unreadable MmPfnDatabase or bugcheck data, too many CPUs). */
  readonly onWarning?: (message: string) => void;
}

/** A win-dmp ready to be written: the patched header, the runs, and the contexts written into guest memory. */
export interface WinDumpPlan {
  readonly x64: boolean;
  readonly header: Uint8Array;
  readonly runs: readonly WinDumpRun[];
  /** The CPU contexts QEMU writes over the guest's while it dumps (the runs include them). */
  readonly patches: readonly PhysPatch[];
  /** RequiredDumpSpace: what QEMU reports as the dump's total size. */
  readonly requiredDumpSpace: bigint;
  readonly warnings: readonly string[];
}

const fail = (message: string) => new VmcoreError(VmcoreErrorCode.InvalidArgument, message);
const PAGE_SHIFT = 12n;
const KDBG = [0x4b, 0x44, 0x42, 0x47];

/**
 * Whether QEMU can write this guest as win-dmp at all: only a QEMU built for TARGET_X86_64
 * (dump/dump.c, 7.2 and newer) has win_dump.c, whatever the guest CPU. So a 32-bit x86 guest
 * qualifies under qemu-system-x86_64 (its default QEMU target) and not under qemu-system-i386.
 */
export function winDumpSupported(info: { readonly arch: string; readonly qemuTarget?: QemuTarget | undefined }): boolean {
  return qemuTargetOf(info) === 'x86_64';
}

/** Why a guest note is not a Windows dump header, with QEMU 7.2's text for it. */
export interface WinDumpHeaderProblem {
  /** 'size': no note of a header's size; 'signature': not 'PAGE'; 'valid-dump': neither 'DUMP' nor 'DU64'. */
  readonly problem: 'size' | 'signature' | 'valid-dump';
  /** create_win_dump()'s error text. */
  readonly message: string;
}

/**
 * create_win_dump()'s first checks: the guest note has the size of a 32- or 64-bit header note
 * and the header starts with 'PAGE' and 'DUMP' or 'DU64'. Undefined when the note passes.
 */
export function winDumpHeaderProblem(note: Uint8Array | undefined): WinDumpHeaderProblem | undefined {
  if (!note || (note.length !== VMCOREINFO_WIN_DUMP_NOTE_SIZE32 && note.length !== VMCOREINFO_WIN_DUMP_NOTE_SIZE64)) {
    return { problem: 'size', message: 'win-dump: invalid vmcoreinfo note size' };
  }
  const raw = note.subarray(VMCOREINFO_ELF_NOTE_HDR_SIZE);
  if (String.fromCharCode(...raw.subarray(0, 4)) !== 'PAGE') {
    return { problem: 'signature', message: `win-dump: invalid header, expected 'PAGE', got '${printf4s(raw)}'` };
  }
  const valid = String.fromCharCode(...raw.subarray(4, 8));
  if (valid !== 'DUMP' && valid !== 'DU64') {
    return { problem: 'valid-dump', message: `win-dump: invalid header, expected 'DUMP' or 'DU64', got '${printf4s(raw.subarray(4))}'` };
  }
  return undefined;
}

/**
 * winDumpHeaderProblem() as an error (VMCORE_INVALID_ARGUMENT with QEMU's text), else a copy of
 * the header (a 64-bit-sized note may carry a 32-bit header: QEMU then uses its first 4096 bytes).
 */
export function checkWinDumpHeader(note: Uint8Array | undefined): WinDumpHeaderBytes {
  const problem = winDumpHeaderProblem(note);
  if (problem || !note) throw fail(problem?.message ?? 'win-dump: invalid vmcoreinfo note size');
  const raw = note.slice(VMCOREINFO_ELF_NOTE_HDR_SIZE);
  const x64 = String.fromCharCode(...raw.subarray(4, 8)) === 'DU64';
  return new WinDumpHeaderBytes(raw.subarray(0, x64 ? WIN_DUMP_HEADER64.size : WIN_DUMP_HEADER32.size), x64);
}

/**
 * Newer QEMU's win_dump_available() (query-dump-guest-memory-capability lists win-dmp only
 * then): an x86 guest whose note passes checkWinDumpHeader(). QEMU 7.2 lists win-dmp for every
 * guest of qemu-system-x86_64.
 */
export function winDumpAvailable(guest: Pick<GuestMemory, 'info' | 'guestNote'>): boolean {
  if (!winDumpSupported(guest.info)) return false;
  try {
    checkWinDumpHeader(guest.guestNote);
    return true;
  } catch {
    return false;
  }
}

/**
 * QEMU 7.2's create_win_dump() up to the first byte written (dump/win_dump.c): the header
 * checks, the KDBG search, the header patches and the CPU contexts, with QEMU's error and
 * warning texts. Reads guest memory through the first CPU with CR3 = DirectoryTableBase.
 */
export async function planWinDump(guest: GuestMemory, options: WinDumpOptions = {}): Promise<WinDumpPlan> {
  if (!winDumpSupported(guest.info)) throw fail('Windows dump is only available for x86-64');
  const h = checkWinDumpHeader(guest.guestNote);
  const x64 = h.x64;
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    options.onWarning?.(message);
  };

  const cpus = options.cpus ?? winCpusFromGuest(guest, options.cpuExtras);
  const first = cpus[0];
  if (!first) throw fail('win-dmp: no CPU state');
  const mem = new DebugAddressSpace(
    (addr, length) => guest.read(addr, length),
    guest.blocks,
    x86Translate((addr, length) => guest.read(addr, length), guest.blocks, { ...first, cr3: h.pointer('DirectoryTableBase') }),
  );

  // check_kdbg(): the header's KdDebuggerDataBlock, else the guest driver's decoded copy in BugcheckParameter1.
  let kdbg = h.pointer('KdDebuggerDataBlock');
  for (let attempt = 0; ; attempt++) {
    const tag = new Uint8Array(4);
    if (!(await mem.readInto(kdbg + KDBG_OWNER_TAG_OFFSET, tag))) throw fail('win-dump: failed to read OwnerTag');
    if (KDBG.every((b, i) => tag[i] === b)) break;
    if (attempt > 0) throw fail(`win-dump: invalid KDBG OwnerTag, expected 'KDBG', got '${printf4s(tag)}'`);
    kdbg = h.pointer('BugcheckParameter1');
  }
  h.setPointer('KdDebuggerDataBlock', kdbg);
  kdbg = h.pointer('KdDebuggerDataBlock');

  // patch_header()
  const headerSize = BigInt(h.size);
  const required = x64
    ? BigInt.asUintN(64, headerSize + BigInt.asUintN(64, h.numberOfPages() << PAGE_SHIFT))
    : BigInt.asUintN(32, headerSize + (h.numberOfPages() << PAGE_SHIFT));
  h.setPointer('RequiredDumpSpace', required);
  if (x64) {
    h.view.setUint32(WIN_DUMP_HEADER64.offsets.PhysicalMemoryBlockUnused, 0, true);
    h.view.setUint32(WIN_DUMP_HEADER64.offsets.unused1, 0, true);
  }
  if (!(await mem.readInto(kdbg + KDBG_MM_PFN_DATABASE_OFFSET, h.fieldBytes('PfnDatabase')))) {
    warn('win-dump: failed to read MmPfnDatabase');
  }
  const bugcheckData = await mem.readPointer(kdbg + KDBG_KI_BUGCHECK_DATA_OFFSET, x64);
  if (bugcheckData === undefined) {
    warn('win-dump: failed to read KiBugcheckData');
  } else if (!(await mem.readInto(bugcheckData, h.fieldBytes('BugcheckData')))) {
    warn('win-dump: failed to read bugcheck data');
  } else if (h.u32('BugcheckCode') === 0) {
    h.setU32('BugcheckCode', LIVE_SYSTEM_DUMP);
  }

  // patch_and_save_context()
  const processorBlock = await mem.readPointer(kdbg + KDBG_KI_PROCESSOR_BLOCK_OFFSET, x64);
  if (processorBlock === undefined) throw fail('win-dump: failed to read KiProcessorBlock');
  const offsetBytes = new Uint8Array(2);
  if (!(await mem.readInto(kdbg + KDBG_OFFSET_PRCB_CONTEXT_OFFSET, offsetBytes))) {
    throw fail('win-dump: failed to read OffsetPrcbContext');
  }
  const offsetPrcbContext = BigInt(offsetBytes[0]! | (offsetBytes[1]! << 8));
  const processors = h.u32('NumberProcessors');
  const pointerSize = x64 ? 8n : 4n;
  for (const [i, cpu] of cpus.entries()) {
    if (i >= processors) {
      warn(`win-dump: number of QEMU CPUs is bigger than NumberProcessors (${processors}) in guest Windows`);
      break;
    }
    const prcb = await mem.readPointer(processorBlock + BigInt(i) * pointerSize, x64);
    if (prcb === undefined) throw fail(`win-dump: failed to read CPU #${i} PRCB location`);
    const context = await mem.readPointer(prcb + offsetPrcbContext, x64);
    if (context === undefined) throw fail(`win-dump: failed to read CPU #${i} ContextFrame location`);
    const ctx = encodeWinContext(cpu, x64);
    if (!(await mem.readInto(context, new Uint8Array(ctx.length)))) throw fail(`win-dump: failed to save CPU #${i} context`);
    if (!(await mem.write(context, ctx))) throw fail(`win-dump: failed to write CPU #${i} context`);
  }

  return { x64, header: h.bytes, runs: h.runs(), patches: mem.patches, requiredDumpSpace: required, warnings };
}
