import {
  VmcoreError,
  VmcoreErrorCode,
  cString,
  findRange,
  hex,
  readExact,
  toSafeNumber,
  type Endian,
  type RandomAccessSource,
} from '@vmcore/bytes';
import { archFromMachine, defaultPageSize, DEFAULT_CHUNK_SIZE, type DumpInfo } from '@vmcore/guest-mem';
import {
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ELFMAG,
  ET_CORE,
  PN_XNUM,
  PT_LOAD,
  PT_NOTE,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_NULL,
  SHT_STRTAB,
} from './constants.js';
import { noteRecords, type ElfNoteRecord } from './note.js';
import {
  decodeEhdr,
  decodePhdr,
  decodeShdr,
  ehdrSize,
  phdrSize,
  shdrSize,
  type Ehdr,
  type ElfClass,
  type Phdr,
  type Shdr,
} from './structs.js';

/** Most note bytes read into memory, all PT_NOTEs together (QEMU caps the guest note at 1 MiB). */
export const MAX_NOTE_SEGMENT = 64 << 20;
/** Most notes accepted (thousands of CPUs with a dozen notes each fit easily). */
export const MAX_NOTES = 1 << 18;
/** Largest program header count accepted (a 512 MiB paging=true dump has ~65,000). */
export const MAX_PROGRAM_HEADERS = 1 << 21;
const MAX_SECTIONS = 0xffff;
const MAX_STRTAB = 1 << 20;

export interface ElfHeader extends Ehdr {
  readonly elfClass: ElfClass;
  readonly endian: Endian;
  /** The real program header count (from section 0's sh_info under PN_XNUM). */
  readonly phdrCount: number;
  /** The real section header count (from section 0's sh_size when e_shnum is 0). */
  readonly shdrCount: number;
}

export interface ElfProgramHeader extends Phdr {
  readonly index: number;
}

/** A PT_LOAD in the numbers the rest of vmcore uses. */
export interface ElfLoadSegment {
  readonly index: number;
  readonly physAddr: number;
  readonly virtAddr: bigint;
  readonly memSize: number;
  /** Meaningful only when fileSize > 0 (QEMU writes -1 for mappings without file bytes). */
  readonly fileOffset: number;
  readonly fileSize: number;
}

export interface ElfSection extends Shdr {
  readonly index: number;
  readonly nameText: string;
  /**
   * The byte order this header was read in when it differs from the file's: QEMU 7.2
   * (dump.c prepare_elf_section_hdr_string) writes the `.shstrtab` header in host order,
   * little-endian on every host we run on, even inside a big-endian file.
   */
  readonly headerEndian?: Endian;
}

/** A run of guest-physical memory: file bytes at `fileOffset`, or zeros. */
export interface ElfPiece {
  readonly start: number;
  readonly size: number;
  readonly fileOffset: number | undefined;
}

export interface ElfCore {
  readonly source: RandomAccessSource;
  readonly header: ElfHeader;
  readonly info: DumpInfo;
  readonly programHeaders: readonly ElfProgramHeader[];
  readonly loads: readonly ElfLoadSegment[];
  readonly sections: readonly ElfSection[];
  readonly notes: readonly ElfNoteRecord[];
  /** Guest-physical memory as disjoint sorted pieces (overlapping PT_LOADs must agree). */
  readonly pieces: readonly ElfPiece[];
  /** Reads guest-physical bytes covered by PT_LOADs without a gap; zero fill past p_filesz. */
  readPhysical(physAddr: number, length: number): Promise<Uint8Array>;
  readSection(section: ElfSection): Promise<Uint8Array>;
  /** The file bytes of a PT_LOAD in chunks. */
  segmentChunks(load: ElfLoadSegment, chunkSize?: number): AsyncIterable<Uint8Array>;
}

function corrupt(source: RandomAccessSource, message: string): VmcoreError {
  return new VmcoreError(VmcoreErrorCode.Corrupt, `${source.name}: ${message}`);
}

function fileNumber(source: RandomAccessSource, value: bigint, what: string): number {
  try {
    return toSafeNumber(value, `${source.name}: ${what}`);
  } catch (error) {
    throw new VmcoreError(VmcoreErrorCode.Corrupt, (error as Error).message);
  }
}

function checkInFile(source: RandomAccessSource, offset: number, length: number, what: string): void {
  if (offset + length > source.size) {
    throw new VmcoreError(
      VmcoreErrorCode.Truncated,
      `${source.name}: ${what} at offset ${offset} needs ${length} bytes but the file ends at ${source.size}`,
    );
  }
}

/** Reads and checks an ELF core file (ours, QEMU's, 32/64-bit, either byte order, PN_XNUM). */
export async function readElfCore(source: RandomAccessSource): Promise<ElfCore> {
  const ident = await readExact(source, 0, 16, 'ELF identification');
  if (!ELFMAG.every((b, i) => ident[i] === b)) {
    throw new VmcoreError(VmcoreErrorCode.BadMagic, `${source.name}: not an ELF file (expected \\x7fELF at offset 0)`);
  }
  const elfClass: ElfClass =
    ident[4] === ELFCLASS64
      ? 64
      : ident[4] === ELFCLASS32
        ? 32
        : (() => {
            throw new VmcoreError(VmcoreErrorCode.Unsupported, `${source.name}: unknown ELF class ${ident[4]} (expected 1 or 2)`);
          })();
  const endian: Endian =
    ident[5] === ELFDATA2LSB
      ? 'le'
      : ident[5] === ELFDATA2MSB
        ? 'be'
        : (() => {
            throw new VmcoreError(VmcoreErrorCode.Unsupported, `${source.name}: unknown ELF byte order ${ident[5]} (expected 1 or 2)`);
          })();
  const ehdr = decodeEhdr(elfClass, endian, await readExact(source, 0, ehdrSize(elfClass), 'ELF header'));
  if (ehdr.type !== ET_CORE) {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `${source.name}: ELF type ${ehdr.type} is not a core file (ET_CORE = 4)`);
  }

  // Section headers first: under PN_XNUM the program header count lives in section 0.
  const shoff = fileNumber(source, ehdr.shoff, 'e_shoff');
  let section0: Shdr | undefined;
  if (shoff !== 0) {
    if (ehdr.shentsize !== shdrSize(elfClass)) throw corrupt(source, `e_shentsize ${ehdr.shentsize}, expected ${shdrSize(elfClass)}`);
    section0 = decodeShdr(elfClass, endian, await readExact(source, shoff, shdrSize(elfClass), 'section header 0'));
  }
  let phdrCount = ehdr.phnum;
  if (ehdr.phnum === PN_XNUM) {
    if (!section0) throw corrupt(source, 'e_phnum is PN_XNUM but there is no section header 0 holding the real count');
    phdrCount = section0.info;
  }
  const shdrCount = shoff === 0 ? 0 : ehdr.shnum === 0 ? fileNumber(source, section0!.size, 'section 0 sh_size') : ehdr.shnum;

  const phoff = fileNumber(source, ehdr.phoff, 'e_phoff');
  if (phdrCount > 0 && ehdr.phentsize !== phdrSize(elfClass)) {
    throw corrupt(source, `e_phentsize ${ehdr.phentsize}, expected ${phdrSize(elfClass)}`);
  }
  if (phdrCount > MAX_PROGRAM_HEADERS) {
    throw new VmcoreError(
      VmcoreErrorCode.TooLarge,
      `${source.name}: ${phdrCount} program headers is more than the ${MAX_PROGRAM_HEADERS} accepted`,
    );
  }
  checkInFile(source, phoff, phdrCount * phdrSize(elfClass), `program header table (${phdrCount} entries)`);
  if (shdrCount > MAX_SECTIONS) throw new VmcoreError(VmcoreErrorCode.TooLarge, `${source.name}: ${shdrCount} section headers`);
  checkInFile(source, shoff, shdrCount * shdrSize(elfClass), `section header table (${shdrCount} entries)`);

  const phdrBytes = await readExact(source, phoff, phdrCount * phdrSize(elfClass), 'program header table');
  const programHeaders: ElfProgramHeader[] = [];
  for (let i = 0; i < phdrCount; i++) programHeaders.push({ index: i, ...decodePhdr(elfClass, endian, phdrBytes, i * phdrSize(elfClass)) });

  const header: ElfHeader = { ...ehdr, elfClass, endian, phdrCount, shdrCount };
  const sections = shdrCount ? await readSections(source, header, shoff) : [];

  // Regions no PT_LOAD may claim: the headers and the notes.
  const reserved: { start: number; end: number; what: string }[] = [
    { start: 0, end: ehdrSize(elfClass), what: 'the ELF header' },
    { start: phoff, end: phoff + phdrCount * phdrSize(elfClass), what: 'the program header table' },
    { start: shoff, end: shoff + shdrCount * shdrSize(elfClass), what: 'the section header table' },
  ];
  const notes: ElfNoteRecord[] = [];
  const loads: ElfLoadSegment[] = [];
  const noteBytes = programHeaders.filter((ph) => ph.type === PT_NOTE).reduce((n, ph) => n + ph.filesz, 0n);
  if (noteBytes > BigInt(MAX_NOTE_SEGMENT)) {
    throw new VmcoreError(
      VmcoreErrorCode.TooLarge,
      `${source.name}: note segments hold ${noteBytes} bytes, more than the ${MAX_NOTE_SEGMENT} accepted`,
    );
  }
  for (const ph of programHeaders) {
    if (ph.type === PT_NOTE) {
      const offset = fileNumber(source, ph.offset, `PT_NOTE ${ph.index} p_offset`);
      const size = fileNumber(source, ph.filesz, `PT_NOTE ${ph.index} p_filesz`);
      checkInFile(source, offset, size, `note segment ${ph.index}`);
      const bytes = await readExact(source, offset, size, `note segment ${ph.index}`);
      for (const note of noteRecords(bytes, endian, offset, `${source.name}: note segment ${ph.index}`)) {
        if (notes.length >= MAX_NOTES) throw new VmcoreError(VmcoreErrorCode.TooLarge, `${source.name}: more than ${MAX_NOTES} notes`);
        notes.push(note);
      }
      reserved.push({ start: offset, end: offset + size, what: `note segment ${ph.index}` });
    }
  }
  for (const ph of programHeaders) {
    if (ph.type !== PT_LOAD) continue;
    const what = `PT_LOAD ${ph.index}`;
    if (ph.filesz > ph.memsz) throw corrupt(source, `${what}: p_filesz ${hex(ph.filesz)} exceeds p_memsz ${hex(ph.memsz)}`);
    const physAddr = fileNumber(source, ph.paddr, `${what} p_paddr`);
    const memSize = fileNumber(source, ph.memsz, `${what} p_memsz`);
    if (!Number.isSafeInteger(physAddr + memSize)) throw corrupt(source, `${what}: [${hex(physAddr)}, +${hex(memSize)}) ends beyond 2^53`);
    const fileSize = fileNumber(source, ph.filesz, `${what} p_filesz`);
    let fileOffset = 0;
    if (fileSize > 0) {
      fileOffset = fileNumber(source, ph.offset, `${what} p_offset`);
      checkInFile(source, fileOffset, fileSize, what);
      for (const r of reserved) {
        if (fileOffset < r.end && r.start < fileOffset + fileSize && r.end > r.start) {
          throw corrupt(source, `${what}: file bytes [${fileOffset}, ${fileOffset + fileSize}) overlap ${r.what}`);
        }
      }
    }
    loads.push({ index: ph.index, physAddr, virtAddr: ph.vaddr, memSize, fileOffset, fileSize });
  }
  const pieces = buildPieces(source, loads);
  const arch = archFromMachine(ehdr.machine);
  const info: DumpInfo = { elfClass, endian, machine: ehdr.machine, arch, pageSize: defaultPageSize(arch) };

  return {
    source,
    header,
    info,
    programHeaders,
    loads,
    sections,
    notes,
    pieces,
    readPhysical: (physAddr, length) => readPieces(source, pieces, physAddr, length),
    async readSection(section) {
      if (section.type === SHT_NOBITS || section.type === SHT_NULL) return new Uint8Array(0);
      const offset = fileNumber(source, section.offset, `section ${section.index} sh_offset`);
      const size = fileNumber(source, section.size, `section ${section.index} sh_size`);
      return readExact(source, offset, size, `section ${section.index} (${section.nameText})`);
    },
    async *segmentChunks(load, chunkSize = DEFAULT_CHUNK_SIZE) {
      for (let done = 0; done < load.fileSize; done += chunkSize) {
        const n = Math.min(chunkSize, load.fileSize - done);
        yield await readExact(source, load.fileOffset + done, n, `PT_LOAD ${load.index}`);
      }
    },
  };
}

async function readSections(source: RandomAccessSource, header: ElfHeader, shoff: number): Promise<ElfSection[]> {
  const { elfClass } = header;
  const size = shdrSize(elfClass);
  const bytes = await readExact(source, shoff, header.shdrCount * size, 'section header table');
  const raw: Array<Shdr & { headerEndian?: Endian }> = [];
  for (let i = 0; i < header.shdrCount; i++) raw.push(decodeSectionHeader(source, header, bytes, i));
  for (const [i, s] of raw.entries()) {
    if (s.type === SHT_NOBITS || s.type === SHT_NULL) continue;
    const offset = fileNumber(source, s.offset, `section ${i} sh_offset`);
    const length = fileNumber(source, s.size, `section ${i} sh_size`);
    checkInFile(source, offset, length, `section ${i}`);
  }
  const strndx = header.shstrndx === SHN_XINDEX ? raw[0]!.link : header.shstrndx;
  let strtab: Uint8Array = new Uint8Array(0);
  if (strndx !== 0) {
    const s = raw[strndx];
    if (!s) throw corrupt(source, `e_shstrndx ${strndx} names no section (there are ${raw.length})`);
    const length = fileNumber(source, s.size, 'section name table size');
    if (length > MAX_STRTAB) throw new VmcoreError(VmcoreErrorCode.TooLarge, `${source.name}: section name table is ${length} bytes`);
    if (s.type !== SHT_NOBITS && s.type !== SHT_NULL)
      strtab = await readExact(source, fileNumber(source, s.offset, 'section name table offset'), length, 'section name table');
  }
  return raw.map((s, index) => {
    if (s.name !== 0 && s.name >= strtab.length)
      throw corrupt(source, `section ${index}: name offset ${s.name} is outside the section name table`);
    return { ...s, index, nameText: s.name === 0 ? '' : cString(strtab.subarray(s.name)) };
  });
}

/** Whether a section header's offset and size lie inside the file. */
function fitsFile(source: RandomAccessSource, s: Shdr): boolean {
  return s.offset <= BigInt(source.size) && s.size <= BigInt(source.size) - s.offset;
}

/**
 * Section header `i`, in the file's byte order; in a big-endian file a header that only makes
 * sense little-endian and then is the SHT_STRTAB QEMU 7.2 wrote in host order is read that way.
 */
function decodeSectionHeader(
  source: RandomAccessSource,
  header: ElfHeader,
  bytes: Uint8Array,
  i: number,
): Shdr & { headerEndian?: Endian } {
  const { elfClass, endian } = header;
  const at = i * shdrSize(elfClass);
  const shdr = decodeShdr(elfClass, endian, bytes, at);
  if (endian !== 'be' || i === 0 || shdr.type === SHT_NULL || shdr.type === SHT_NOBITS || fitsFile(source, shdr)) return shdr;
  const swapped = decodeShdr(elfClass, 'le', bytes, at);
  if (swapped.type === SHT_STRTAB && i === (header.shstrndx === SHN_XINDEX ? -1 : header.shstrndx) && fitsFile(source, swapped)) {
    return { ...swapped, headerEndian: 'le' };
  }
  return shdr;
}

/**
 * Disjoint sorted pieces of guest-physical memory. Overlapping PT_LOADs (paging=true dumps map
 * the same page at several virtual addresses) are accepted only where they agree: the same file
 * bytes, or zeros on both sides.
 */
function buildPieces(source: RandomAccessSource, loads: readonly ElfLoadSegment[]): ElfPiece[] {
  type Raw = { start: number; end: number; delta: number | undefined; index: number };
  const raws: Raw[] = [];
  for (const load of loads) {
    if (load.fileSize > 0)
      raws.push({ start: load.physAddr, end: load.physAddr + load.fileSize, delta: load.fileOffset - load.physAddr, index: load.index });
    if (load.memSize > load.fileSize)
      raws.push({ start: load.physAddr + load.fileSize, end: load.physAddr + load.memSize, delta: undefined, index: load.index });
  }
  raws.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Raw[] = [];
  for (const raw of raws) {
    let start = raw.start;
    for (let j = out.length - 1; j >= 0 && out[j]!.end > raw.start; j--) {
      const prev = out[j]!;
      if (prev.start < raw.end && prev.delta !== raw.delta) {
        throw corrupt(
          source,
          `PT_LOAD ${raw.index} and PT_LOAD ${prev.index} overlap at ${hex(Math.max(prev.start, raw.start))} with different contents`,
        );
      }
    }
    const last = out[out.length - 1];
    if (last) start = Math.max(start, last.end);
    if (start >= raw.end) continue;
    if (last && last.end === start && last.delta === raw.delta) {
      last.end = raw.end;
    } else {
      out.push({ start, end: raw.end, delta: raw.delta, index: raw.index });
    }
  }
  return out.map((p) => ({ start: p.start, size: p.end - p.start, fileOffset: p.delta === undefined ? undefined : p.start + p.delta }));
}

function findPiece(pieces: readonly ElfPiece[], addr: number): number {
  return findRange(
    pieces.length,
    addr,
    (i) => pieces[i]!.start,
    (i) => pieces[i]!.start + pieces[i]!.size,
  );
}

async function readPieces(source: RandomAccessSource, pieces: readonly ElfPiece[], physAddr: number, length: number): Promise<Uint8Array> {
  const fail = () =>
    new VmcoreError(VmcoreErrorCode.OutOfRange, `${source.name}: physical range [${hex(physAddr)}, +${hex(length)}) is not in the dump`);
  if (!Number.isSafeInteger(physAddr) || !Number.isSafeInteger(length) || length < 0) throw fail();
  if (length === 0) return new Uint8Array(0);
  let i = findPiece(pieces, physAddr);
  if (i < 0) throw fail();
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const piece = pieces[i];
    const addr = physAddr + done;
    if (!piece || (piece.start !== addr && done > 0)) throw fail();
    const n = Math.min(length - done, piece.start + piece.size - addr);
    if (piece.fileOffset !== undefined) {
      out.set(await readExact(source, piece.fileOffset + (addr - piece.start), n, `memory at ${hex(addr)}`), done);
    }
    done += n;
    i++;
  }
  return out;
}
