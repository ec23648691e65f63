import { VmcoreError, VmcoreErrorCode, checkAborted, encodeNoteArea, hex, type SequentialSink } from '@vmcore/bytes';
import { DEFAULT_CHUNK_SIZE, type Filter, type GuestMemory } from '@vmcore/guest-mem';
import { encodeElfHeader, encodeProgramHeaders, encodeSectionHeaders } from './headers.js';
import { planElfLayout, type ElfLayout, type ElfSectionInput } from './layout.js';

export interface WriteElfCoreOptions {
  readonly filter?: Filter;
  /** Architecture sections, written after the memory, before .shstrtab. */
  readonly sections?: readonly ElfSectionInput[];
  /** Memory bytes per read/write (default 4 MiB; 1 MiB from a guest without spans, whose pages are decoded). */
  readonly chunkSize?: number;
  /** Memory bytes written so far and in total (QEMU's query-dump completed/total). */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  /**
   * Memory bytes the sink copied from a file without this thread reading them (sink.copyFrom);
   * bytes read go through guest.chunks as before.
   */
  readonly onCopied?: (bytes: number) => void;
  /** Checked between kernel copies (reads are cancelled by the guest's own chunk stream). */
  readonly signal?: AbortSignal;
}

/**
 * Chunk size for guests whose bytes are computed (kdump pages decoded as they are read): each
 * chunk is decoded in one synchronous stretch, so smaller chunks keep a QMP monitor answering.
 */
const DECODED_CHUNK_SIZE = 1 << 20;

/** Bytes per kernel copy: the granularity of progress and cancellation (~15 ms of copying). */
const COPY_STEP = 32 << 20;

export interface WriteElfCoreResult {
  readonly size: number;
  readonly layout: ElfLayout;
}

const PHDR_BATCH = 1 << 16;

/**
 * Writes the guest as QEMU's ELF dump: same PT_LOADs, notes and memory bytes, with program
 * headers right after the ELF header and a correct e_ehsize. Streams memory in chunks; the sink
 * is not closed.
 */
export async function writeElfCore(
  guest: GuestMemory,
  sink: SequentialSink,
  options: WriteElfCoreOptions = {},
): Promise<WriteElfCoreResult> {
  const { info } = guest;
  // QEMU's note area: the CPU notes in order, then the guest's own note verbatim.
  const notes = encodeNoteArea(guest.cpuNotes, info.endian, guest.guestNote);
  const sections = options.sections ?? [];
  const layout = planElfLayout({
    info,
    blocks: guest.blocks,
    mappings: guest.mappings,
    notesSize: notes.length,
    ...(options.filter ? { filter: options.filter } : {}),
    sections: sections.map((s) => ({ name: s.name, size: s.data.length, ...(s.type === undefined ? {} : { type: s.type }) })),
  });

  let written = 0;
  const put = async (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    await sink.write(bytes);
    written += bytes.length;
  };

  await put(encodeElfHeader(layout));
  for (let first = 0; first < layout.phdrCount; first += PHDR_BATCH) {
    await put(encodeProgramHeaders(layout, first, Math.min(PHDR_BATCH, layout.phdrCount - first)));
  }
  await put(encodeSectionHeaders(layout));
  await put(notes);

  let done = 0;
  options.onProgress?.(0, layout.memorySize);
  let blockIndex = 0;
  let expected = layout.memoryBlocks[0]?.start ?? 0;
  /** Checks that guest bytes [physAddr, +length) come next in the layout, and counts them. */
  const advance = (physAddr: number, length: number) => {
    const block = layout.memoryBlocks[blockIndex];
    if (!block || physAddr !== expected || physAddr + length > block.start + block.size) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `guest memory chunk at ${hex(physAddr)} is not the expected ${hex(expected)}`);
    }
    done += length;
    expected += length;
    if (expected === block.start + block.size) {
      blockIndex++;
      expected = layout.memoryBlocks[blockIndex]?.start ?? expected;
    }
    options.onProgress?.(done, layout.memorySize);
  };
  // Sinks that are done with the bytes when write() resolves (files, memory) get chunks read into
  // two reused buffers: no 4 MiB allocation per chunk (a 512 MiB guest: 128 of them, and the
  // garbage collections they cause). Others (streams that queue the buffer) get fresh ones.
  const chunkOptions = {
    chunkSize: options.chunkSize ?? (guest.spans ? DEFAULT_CHUNK_SIZE : DECODED_CHUNK_SIZE),
    reuseBuffers: sink.doneWithBytesOnResolve === true,
  };
  const readAndWrite = async (filter: Filter | undefined) => {
    for await (const chunk of guest.chunks(filter ? { ...chunkOptions, filter } : chunkOptions)) {
      advance(chunk.physAddr, chunk.bytes.length);
      await put(chunk.bytes);
    }
  };
  if (sink.copyFrom && guest.spans) {
    // File-backed memory (a RAM file, an ELF's segments) to a file: the kernel copies it
    // (copy_file_range), the bytes never enter this process; zero fill is read (as zeros) and
    // written. When the sink cannot copy from a source, the rest is read and written.
    const last = layout.memoryBlocks[layout.memoryBlocks.length - 1];
    const end = options.filter ? options.filter.begin + options.filter.length : last ? last.start + last.size : 0;
    for (const span of guest.spans(options.filter)) {
      let at = 0;
      while (span.source && at < span.length) {
        checkAborted(options.signal, 'dump');
        const n = Math.min(COPY_STEP, span.length - at);
        if (!(await sink.copyFrom(span.source, span.offset + at, n))) break;
        advance(span.physAddr + at, n);
        written += n;
        at += n;
        options.onCopied?.(n);
      }
      if (at === span.length) continue;
      if (span.source) {
        await readAndWrite({ begin: span.physAddr + at, length: end - span.physAddr - at });
        break;
      }
      await readAndWrite({ begin: span.physAddr, length: span.length });
    }
  } else {
    await readAndWrite(options.filter);
  }
  if (done !== layout.memorySize) {
    throw new VmcoreError(VmcoreErrorCode.Truncated, `guest memory ended after ${done} of ${layout.memorySize} bytes`);
  }
  for (const section of sections) await put(section.data);
  await put(layout.strtab);
  if (written !== layout.totalSize) {
    throw new VmcoreError(VmcoreErrorCode.Corrupt, `wrote ${written} bytes but the layout says ${layout.totalSize}`);
  }
  return { size: written, layout };
}
