import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { Filter, PhysBlock } from '@vmcore/guest-mem';
import type { DumpFormat } from './formats.js';

export interface DumpArguments {
  readonly paging?: boolean;
  /** begin/length as given; either may be missing, which is an error when the other is present. */
  readonly begin?: number;
  readonly length?: number;
}

function invalid(message: string): VmcoreError {
  return new VmcoreError(VmcoreErrorCode.InvalidArgument, message);
}

/**
 * QEMU's qmp_dump_guest_memory() argument checks, in its order and with its texts, so the CLI and
 * the QMP server reject the same requests the same way. Returns the filter, if any.
 */
export function checkDumpArguments(format: DumpFormat, args: DumpArguments): Filter | undefined {
  const hasBegin = args.begin !== undefined;
  const hasLength = args.length !== undefined;
  if (format !== 'elf' && (args.paging || hasBegin || hasLength)) {
    throw invalid("kdump-compressed format doesn't support paging or filter");
  }
  if (hasBegin && !hasLength) throw invalid("Parameter 'length' is missing");
  if (!hasBegin && hasLength) throw invalid("Parameter 'begin' is missing");
  if (!hasBegin || !hasLength) return undefined;
  const begin = args.begin!;
  const length = args.length!;
  if (!Number.isSafeInteger(begin) || begin < 0) throw invalid("Invalid parameter 'begin'");
  if (!Number.isSafeInteger(length) || length < 0) throw invalid("Invalid parameter 'length'");
  if (length === 0) throw invalid("parameter 'length' expects a non-zero size");
  return { begin, length };
}

/** Bytes of the blocks inside the filter: QEMU's `total` for query-dump. */
export function bytesToDump(blocks: readonly PhysBlock[], filter?: Filter): number {
  let total = 0;
  for (const block of blocks) {
    const start = filter ? Math.max(block.start, filter.begin) : block.start;
    const end = filter ? Math.min(block.start + block.size, filter.begin + filter.length) : block.start + block.size;
    if (end > start) total += end - start;
  }
  return total;
}

/** QEMU: a filter that selects no RAM is `dump: no guest memory to dump`. */
export function checkSomethingToDump(blocks: readonly PhysBlock[], filter?: Filter): number {
  const total = bytesToDump(blocks, filter);
  if (total === 0) throw invalid('dump: no guest memory to dump');
  return total;
}
