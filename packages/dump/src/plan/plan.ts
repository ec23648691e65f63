import { DUMP_FORMATS, formatSpec, isDumpFormat, type DumpFormat, type FormatSpec } from '../formats.js';
import { qemuTargetOf, type QemuTarget } from '@vmcore/guest-mem';
import { winDumpSupported, winDumpHeaderProblem } from '@vmcore/win-dmp';
import { calculateSize, validStartBlock, writtenRange, type BlockRange } from './qemu-filter.js';
import { DumpRefusal } from './refusal.js';

/** What planDump needs to know about the guest: its architecture, QEMU binary, RAM blocks and guest note. */
export interface DumpTarget {
  readonly arch: string;
  /** The QEMU binary serving the guest where recorded (DumpInfo.qemuTarget); else the architecture's default. */
  readonly qemuTarget?: QemuTarget | undefined;
  /** Guest-physical RAM blocks, sorted. */
  readonly blocks: readonly BlockRange[];
  /** The guest note from fw_cfg etc/vmcoreinfo: win-dmp needs a Windows dump header there. */
  readonly guestNote?: Uint8Array | undefined;
}

/** One dump-guest-memory request, as QMP's arguments or the CLI's options give it. */
export interface DumpRequest {
  /** A DumpGuestMemoryFormat name; default 'elf' (QMP's default). */
  readonly format?: string;
  readonly paging?: boolean;
  /** QEMU's begin and length (int64): either may be missing, which is refused if the other is present. */
  readonly begin?: number | bigint;
  readonly length?: number | bigint;
  readonly guest: DumpTarget;
  /** Formats this writer offers (QEMU: built with lzo/snappy or not). Default: every DUMP_FORMATS entry. */
  readonly available?: readonly string[];
  /** The opened output; raw kdump needs positioned writes. Not checked when absent (output not opened yet). */
  readonly output?: { readonly seekable: boolean };
}

/** QEMU's DumpState after dump_init(): what to write and how much guest memory that is. */
export interface DumpPlan {
  readonly format: DumpFormat;
  readonly spec: FormatSpec;
  readonly paging: boolean;
  /**
   * The guest-physical range the writers write, already clamped to the guest as QEMU clamps it.
   * Absent: every block whole. Length 0: QEMU writes no memory (a negative begin with a negative
   * length, which QEMU 7.2 accepts).
   */
  readonly filter?: { readonly begin: number; readonly length: number };
  /** QEMU's `total` for query-dump and DUMP_COMPLETED: dump_calculate_size(). */
  readonly total: number;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

function int64(value: number | bigint | undefined, parameter: 'begin' | 'length'): bigint | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'bigint' ? value >= INT64_MIN && value <= INT64_MAX : Number.isSafeInteger(value);
  if (!ok) throw new DumpRefusal({ reason: 'not-an-integer', parameter, value: String(value) });
  return BigInt(value);
}

/**
 * Every check QEMU 7.2's qmp_dump_guest_memory() and dump_init() make, in their order, and the
 * total they compute; pure, so the CLI and the QMP server give the same verdict for the same
 * request. Throws a DumpRefusal (a VmcoreError) whose `detail.reason` each app turns into its
 * own message and whose `stage` says where QEMU reports it.
 */
export function planDump(request: DumpRequest): DumpPlan {
  const begin = int64(request.begin, 'begin');
  const length = int64(request.length, 'length');
  const name = request.format ?? 'elf';
  if (!isDumpFormat(name)) throw new DumpRefusal({ reason: 'unknown-format', format: name }, { formats: DUMP_FORMATS });
  const format = name;
  const paging = request.paging ?? false;
  // kdump (and win-dmp) need the whole memory: no paging, no filter.
  if (format !== 'elf' && (paging || begin !== undefined || length !== undefined)) {
    throw new DumpRefusal({ reason: 'filter-not-supported', format, paging });
  }
  if (begin !== undefined && length === undefined) throw new DumpRefusal({ reason: 'missing-length' });
  if (begin === undefined && length !== undefined) throw new DumpRefusal({ reason: 'missing-begin' });
  // QEMU 7.2 checks lzo/snappy availability, then win-dmp's target: a win-dmp request is
  // refused unless qemu-system-x86_64 serves the guest (not for a non-x86 guest, not for an
  // i386 guest under qemu-system-i386), whatever the capability list says.
  if (format === 'win-dmp' && !winDumpSupported(request.guest)) {
    const target = qemuTargetOf(request.guest);
    throw new DumpRefusal({ reason: 'win-dmp-arch', arch: request.guest.arch, ...(target ? { qemuTarget: target } : {}) });
  }
  const available = request.available ?? DUMP_FORMATS;
  if (!available.includes(format)) throw new DumpRefusal({ reason: 'format-unavailable', format });
  const spec = formatSpec(format);
  if (spec.kind === 'kdump' && !spec.flattened && request.output && !request.output.seekable) {
    throw new DumpRefusal({ reason: 'not-seekable', format });
  }

  // dump_init(): the filter arithmetic on int64 begin/length (0 when absent).
  const b = begin ?? 0n;
  const l = length ?? 0n;
  if (begin !== undefined && l === 0n) throw new DumpRefusal({ reason: 'length-zero' });
  const blocks = request.guest.blocks;
  const total = calculateSize(blocks, b, l);
  if (total === 0n) throw new DumpRefusal({ reason: 'no-memory', begin: b, length: l });
  if (!validStartBlock(blocks, b, l)) throw new DumpRefusal({ reason: 'begin-outside', begin: b, length: l }, { total: Number(total) });

  // dump_process(): create_win_dump() checks the header before writing anything.
  if (format === 'win-dmp') {
    const problem = winDumpHeaderProblem(request.guest.guestNote);
    if (problem) throw new DumpRefusal({ reason: 'win-dmp-header', ...problem }, { total: Number(total) });
  }
  const filter = begin === undefined ? undefined : writtenRange(blocks, b, l);
  return { format, spec, paging, ...(filter ? { filter } : {}), total: Number(total) };
}

/** planDump's view of a guest (structurally any GuestMemory). */
export function dumpTarget(guest: {
  readonly info: { readonly arch: string; readonly qemuTarget?: QemuTarget | undefined };
  readonly blocks: readonly BlockRange[];
  readonly guestNote?: Uint8Array | undefined;
}): DumpTarget {
  return { arch: guest.info.arch, qemuTarget: guest.info.qemuTarget, blocks: guest.blocks, guestNote: guest.guestNote };
}
