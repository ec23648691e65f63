import { VmcoreError, VmcoreErrorCode, hex, type SequentialSink } from '@vmcore/bytes';
import type { GuestMemory } from '@vmcore/guest-mem';
import { applyPatches } from './address-space.js';
import { planWinDump, type WinDumpOptions, type WinDumpPlan } from './prepare.js';

export interface WriteWinDumpOptions extends WinDumpOptions {
  /** Bytes per read and write (default 4 MiB). */
  readonly chunkSize?: number;
  /** After each write: bytes written so far and RequiredDumpSpace (QEMU's written_size/total_size). */
  readonly onProgress?: (written: number, total: number) => void;
  /** Anything with `aborted` (an AbortSignal): checked before each write. */
  readonly signal?: { readonly aborted: boolean; readonly reason?: unknown };
}

export interface WinDumpResult {
  readonly size: number;
  readonly plan: WinDumpPlan;
}

const PAGE = 4096n;
const DEFAULT_CHUNK = 4 << 20;

/**
 * Writes the guest as QEMU's win-dmp: the patched header, then every run of
 * PhysicalMemoryBlock in order, streamed in chunks, with the CPU contexts QEMU writes into
 * guest memory for the duration of the dump. Bytes of a run between RAM blocks are zero
 * (QEMU reads unassigned memory as zero); a run beyond the last block is refused.
 */
export async function writeWinDump(guest: GuestMemory, sink: SequentialSink, options: WriteWinDumpOptions = {}): Promise<WinDumpResult> {
  const plan = await planWinDump(guest, options);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const total = Number(plan.requiredDumpSpace);
  const end = guest.blocks.reduce((max, b) => Math.max(max, b.start + b.size), 0);
  const ranges = plan.runs.map((run, i) => {
    const start = BigInt.asUintN(64, run.basePage * PAGE);
    const size = BigInt.asUintN(64, run.pageCount * PAGE);
    if (start + size > BigInt(end)) {
      throw new VmcoreError(
        VmcoreErrorCode.OutOfRange,
        `win-dump: run ${i} [${hex(start)}, ${hex(start + size)}) reaches beyond guest memory, which ends at ${hex(end)}`,
      );
    }
    return { start: Number(start), size: Number(size) };
  });

  let written = 0;
  const put = async (bytes: Uint8Array) => {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
    await sink.write(bytes);
    written += bytes.length;
    options.onProgress?.(written, total);
  };
  await put(plan.header);
  for (const range of ranges) {
    for (let at = range.start; at < range.start + range.size;) {
      const length = Math.min(chunkSize, range.start + range.size - at);
      await put(applyPatches(plan.patches, at, await readRange(guest, at, length)));
      at += length;
    }
  }
  return { size: written, plan };
}

/** Guest-physical bytes across blocks; the gaps between blocks read as zero. */
async function readRange(guest: GuestMemory, physAddr: number, length: number): Promise<Uint8Array> {
  const end = physAddr + length;
  const inside = guest.blocks.find((b) => b.start <= physAddr && end <= b.start + b.size);
  if (inside) return guest.read(physAddr, length);
  const out = new Uint8Array(length);
  for (const block of guest.blocks) {
    const from = Math.max(physAddr, block.start);
    const to = Math.min(end, block.start + block.size);
    if (from < to) out.set(await guest.read(from, to - from), from - physAddr);
  }
  return out;
}
