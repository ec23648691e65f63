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
            onChunk?.(chunk.bytes.length);
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
