import { VmcoreError, VmcoreErrorCode, encodeNoteArea, hex, type SequentialSink } from '@vmcore/bytes';
import { DEFAULT_CHUNK_SIZE, type Filter, type GuestMemory } from '@vmcore/guest-mem';
import { encodeElfHeader, encodeProgramHeaders, encodeSectionHeaders } from './headers.js';
import { planElfLayout, type ElfLayout, type ElfSectionInput } from './layout.js';

export interface WriteElfCoreOptions {
  readonly filter?: Filter;
  /** Architecture sections, written after the memory, before .shstrtab. */
  readonly sections?: readonly ElfSectionInput[];
  /** Memory bytes per read/write (default 4 MiB). */
  readonly chunkSize?: number;
  /** Memory bytes written so far and in total (QEMU's query-dump completed/total). */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

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
  // Sinks that are done with the bytes when write() resolves (files, memory) get chunks read into
  // two reused buffers: no 4 MiB allocation per chunk (a 512 MiB guest: 128 of them, and the
  // garbage collections they cause). Others (streams that queue the buffer) get fresh ones.
  const chunkOptions = {
    chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
    reuseBuffers: sink.doneWithBytesOnResolve === true,
    ...(options.filter ? { filter: options.filter } : {}),
  };
  for await (const chunk of guest.chunks(chunkOptions)) {
    const block = layout.memoryBlocks[blockIndex];
    if (!block || chunk.physAddr !== expected || chunk.physAddr + chunk.bytes.length > block.start + block.size) {
      throw new VmcoreError(VmcoreErrorCode.Corrupt, `guest memory chunk at ${hex(chunk.physAddr)} is not the expected ${hex(expected)}`);
    }
    await put(chunk.bytes);
    done += chunk.bytes.length;
    expected += chunk.bytes.length;
    if (expected === block.start + block.size) {
      blockIndex++;
      expected = layout.memoryBlocks[blockIndex]?.start ?? expected;
    }
    options.onProgress?.(done, layout.memorySize);
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
