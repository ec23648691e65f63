import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { ChunkOptions, DumpInfo, ElfNote, Filter, GuestMemory, MemoryChunk, MemoryMapping } from '@vmcore/guest-mem';

export interface GuestOverrides {
  readonly info?: DumpInfo;
  readonly mappings?: readonly MemoryMapping[];
  readonly cpuNotes?: readonly ElfNote[];
  readonly nrCpus?: number;
  readonly guestNote?: Uint8Array;
  /** Called with the size of every chunk a writer pulls from the guest. */
  readonly onChunk?: (bytes: number) => void;
  readonly signal?: AbortSignal;
  /** Extra cleanup run by close() after the guest's own. */
  readonly onClose?: () => Promise<void>;
}

export function abortError(signal: AbortSignal): VmcoreError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
  return new VmcoreError(VmcoreErrorCode.Aborted, `dump cancelled: ${reason}`, { cause: signal.reason });
}

/**
 * The same guest with its description or some notes replaced, and with its chunk stream counted and cancellable:
 * how dumpGuest measures progress for every writer without knowing the format.
 */
export function guestView(guest: GuestMemory, overrides: GuestOverrides): GuestMemory {
  const { onChunk, signal, onClose } = overrides;
  let closed = false;
  return {
    info: overrides.info ?? guest.info,
    blocks: guest.blocks,
    mappings: overrides.mappings ?? guest.mappings,
    cpuNotes: overrides.cpuNotes ?? guest.cpuNotes,
    nrCpus: overrides.nrCpus ?? guest.nrCpus,
    guestNote: 'guestNote' in overrides ? overrides.guestNote : guest.guestNote,
    read(physAddr: number, length: number) {
      if (signal?.aborted) return Promise.reject(abortError(signal));
      return guest.read(physAddr, length);
    },
    chunks(options?: ChunkOptions): AsyncIterable<MemoryChunk> {
      return {
        async *[Symbol.asyncIterator]() {
          for await (const chunk of guest.chunks(options)) {
            if (signal?.aborted) throw abortError(signal);
            yield chunk;
            onChunk?.(chunk.bytes.length + (chunk.zeros ?? 0));
          }
        },
      };
    },
    // Descriptions only: a writer that copies spans reports its own progress and checks the signal.
    ...(guest.spans ? { spans: (filter?: Filter) => guest.spans!(filter) } : {}),
    async close() {
      if (closed) return;
      closed = true;
      try {
        await guest.close();
      } finally {
        await onClose?.();
      }
    },
  };
}

/** Zero bytes kept at each edge of a hole for scanners: a note cannot span more of one. */
const HOLE_EDGE = 4096;
const EDGE_ZEROS = new Uint8Array(HOLE_EDGE);

/**
 * The guest's memory for a scan (the VMCOREINFO note search): every byte it stores, without the
 * middle of its holes (sparse RAM files), whose zeros hold nothing to find. The first and last
 * 4 KiB of a hole are kept as zero chunks, so whatever touches a hole's edge reads as it would.
 */
export async function* scanChunks(guest: Pick<GuestMemory, 'chunks'>, chunkSize?: number): AsyncGenerator<MemoryChunk> {
  // The scan copies what it keeps (a few bytes across chunk edges): read buffers are reused.
  for await (const chunk of guest.chunks({ holes: true, reuseBuffers: true, ...(chunkSize ? { chunkSize } : {}) })) {
    if (!chunk.zeros) {
      yield chunk;
      continue;
    }
    const head = Math.min(HOLE_EDGE, chunk.zeros);
    yield { physAddr: chunk.physAddr, bytes: EDGE_ZEROS.subarray(0, head) };
    const tail = Math.min(HOLE_EDGE, chunk.zeros - head);
    if (tail > 0) yield { physAddr: chunk.physAddr + chunk.zeros - tail, bytes: EDGE_ZEROS.subarray(0, tail) };
  }
}
