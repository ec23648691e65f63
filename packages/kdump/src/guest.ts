import { VmcoreError, VmcoreErrorCode, hex, NoteType, NT_PRSTATUS, type RandomAccessSource } from '@vmcore/bytes';
import {
  AARCH64_PRSTATUS,
  archByName,
  EM_386,
  I386_PRSTATUS,
  X86_64_PRSTATUS,
  EM_X86_64,
  findBlock,
  simpleMappings,
  type Arch,
  type DumpInfo,
  type ElfNote,
  type Filter,
  type GuestMemory,
  type MemoryChunk,
  type MemoryMapping,
  type PhysBlock,
  archFromVmcoreinfo,
} from '@vmcore/guest-mem';
import { parseVmcoreinfo, VMCOREINFO_NOTE_NAME, vmcoreinfoText } from '@vmcore/vmcoreinfo';
import { archForMachine } from './utsname.js';
import { readKdump, type KdumpFile, type KdumpReadOptions } from './reader.js';

const DEFAULT_CHUNK = 4 << 20;

/**
 * The architecture of a kdump file: utsname.machine, else the CPU notes, else the VMCOREINFO
 * note (QEMU 7.2 writes "Unknown" for aarch64 and ppc64). x86 kdump headers say "x86_64" even
 * for 32-bit guests (QEMU's ELF_MACHINE_UNAME); the prstatus size tells.
 */
function dumpInfo(file: KdumpFile): DumpInfo {
  let { arch, machine } = archForMachine(file.header.utsname.machine);
  if (arch === 'unknown') {
    const found = archFromNotes(file.noteEntries) ?? archFromGuestNote(file);
    if (found) ({ arch, machine } = found);
  }
  if (arch === 'x86_64' || arch === 'i386') {
    const prstatus = file.noteEntries.find((n) => n.name === 'CORE' && n.type === NT_PRSTATUS);
    const is32 = prstatus ? prstatus.desc.length === I386_PRSTATUS.size : file.layout === 32;
    arch = is32 ? 'i386' : 'x86_64';
    machine = is32 ? EM_386 : EM_X86_64;
  }
  return { elfClass: file.layout, endian: file.endian, machine, arch, pageSize: file.pageSize };
}

const NT_S390_CTRS = NoteType.S390_CTRS;
const NT_ARM_SVE = NoteType.ARM_SVE;
const NT_PPC_VMX = NoteType.PPC_VMX;

/** The architecture QEMU's CPU notes belong to, from the prstatus size and the other note types. */
function archFromNotes(notes: KdumpFile['noteEntries']): { arch: Arch; machine: number } | undefined {
  const prstatus = notes.find((n) => n.name === 'CORE' && n.type === NT_PRSTATUS);
  const has = (name: string, type: number) => notes.some((n) => n.name === name && n.type === type);
  let arch: Arch | undefined;
  if (has('LINUX', NT_S390_CTRS)) arch = 's390x';
  else if (has('CORE', NT_PPC_VMX)) arch = 'ppc64';
  else if (prstatus?.desc.length === AARCH64_PRSTATUS.struct.size || has('LINUX', NT_ARM_SVE)) arch = 'aarch64';
  else if (prstatus?.desc.length === X86_64_PRSTATUS.size && notes.some((n) => n.name === 'QEMU')) arch = 'x86_64';
  else if (prstatus?.desc.length === I386_PRSTATUS.size) arch = 'i386';
  const machine = arch === undefined ? undefined : archByName(arch)?.machine;
  return arch && machine !== undefined ? { arch, machine } : undefined;
}

function archFromGuestNote(file: KdumpFile): { arch: Arch; machine: number } | undefined {
  const notes = file.noteEntries;
  const last = notes[notes.length - 1];
  if (!last || last.name !== VMCOREINFO_NOTE_NAME) return undefined;
  let arch: string | undefined;
  try {
    arch = archFromVmcoreinfo(parseVmcoreinfo(vmcoreinfoText(last.desc)));
  } catch {
    return undefined;
  }
  const machine = arch === undefined ? undefined : archByName(arch)?.machine;
  return machine === undefined ? undefined : { arch: arch as Arch, machine };
}

/** A GuestMemory over a kdump file: one block per run of present pages. */
class KdumpGuest implements GuestMemory {
  readonly info: DumpInfo;
  readonly blocks: readonly PhysBlock[];
  readonly mappings: readonly MemoryMapping[];
  readonly cpuNotes: readonly ElfNote[];
  readonly nrCpus: number;
  readonly guestNote?: Uint8Array;

  constructor(readonly file: KdumpFile) {
    this.info = dumpInfo(file);
    const pageSize = file.pageSize;
    this.blocks = file.present.runs().map((run) => ({ start: run.start * pageSize, size: (run.end - run.start) * pageSize }));
    this.mappings = simpleMappings(this.blocks);
    const entries = file.noteEntries;
    const last = entries[entries.length - 1];
    const hasGuestNote = last !== undefined && last.name === VMCOREINFO_NOTE_NAME;
    this.cpuNotes = (hasGuestNote ? entries.slice(0, -1) : entries).map(({ name, type, desc }) => ({ name, type, desc }));
    if (hasGuestNote) this.guestNote = file.notes.slice(last.offset, last.offset + last.size);
    this.nrCpus = file.header.nrCpus;
  }

  async read(physAddr: number, length: number): Promise<Uint8Array> {
    const block =
      Number.isSafeInteger(physAddr) && Number.isSafeInteger(length) && length >= 0
        ? this.blocks[findBlock(this.blocks, physAddr)]
        : undefined;
    if (!block || physAddr + length > block.start + block.size) {
      throw new VmcoreError(
        VmcoreErrorCode.OutOfRange,
        `${this.file.name}: ${hex(physAddr)}+${length} is not inside one block of the dump`,
      );
    }
    return this.readRange(physAddr, length);
  }

  async *chunks(options: { filter?: Filter; chunkSize?: number } = {}): AsyncIterable<MemoryChunk> {
    const pageSize = this.file.pageSize;
    const chunkSize = Math.max(pageSize, Math.floor((options.chunkSize ?? DEFAULT_CHUNK) / pageSize) * pageSize);
    const filter = options.filter;
    for (const block of this.blocks) {
      let start = block.start;
      let end = block.start + block.size;
      if (filter) {
        start = Math.max(start, filter.begin);
        end = Math.min(end, filter.begin + filter.length);
        if (end <= start) continue;
      }
      for (let at = start; at < end;) {
        // Chunk edges on page boundaries after the first, so every read decodes whole pages once.
        const next = Math.min(end, Math.floor(at / pageSize) * pageSize + chunkSize);
        yield { physAddr: at, bytes: await this.readRange(at, next - at) };
        at = next;
      }
    }
  }

  async close(): Promise<void> {
    await this.file.close();
  }

  /** Bytes [physAddr, physAddr + length) of pages all present in the dump. */
  private async readRange(physAddr: number, length: number): Promise<Uint8Array> {
    const pageSize = this.file.pageSize;
    if (length === 0) return new Uint8Array(0);
    const firstPfn = Math.floor(physAddr / pageSize);
    const endPfn = Math.ceil((physAddr + length) / pageSize);
    const index = this.file.present.indexOf(firstPfn);
    const pages = new Uint8Array((endPfn - firstPfn) * pageSize);
    await this.file.readPagesInto(index, endPfn - firstPfn, pages, 0);
    const skip = physAddr - firstPfn * pageSize;
    return skip === 0 && length === pages.length ? pages : pages.subarray(skip, skip + length);
  }
}

/** Opens a raw kdump-compressed file as a GuestMemory (blocks = runs of present pages). */
export async function openKdumpGuest(source: RandomAccessSource, options: KdumpReadOptions = {}): Promise<GuestMemory> {
  return new KdumpGuest(await readKdump(source, options));
}
