import { open } from 'node:fs/promises';

export interface ElfLoad {
  offset: number;
  vaddr: bigint;
  paddr: number;
  filesz: number;
  memsz: number;
}

const PT_LOAD = 1;
const PT_NOTE = 4;

export interface ElfNoteInfo {
  name: string;
  type: number;
  desc: Uint8Array;
}
const PN_XNUM = 0xffff;

/** The PT_LOAD headers of an ELF core of either class and byte order (QEMU's dumps); handles PN_XNUM. */
export async function readElfLoads(path: string): Promise<ElfLoad[]> {
  return (await readPhdrs(path)).filter((p) => p.type === PT_LOAD).map(({ type: _t, ...l }) => l);
}

/** The notes of every PT_NOTE segment, in order. */
export async function readElfNotes(path: string): Promise<ElfNoteInfo[]> {
  const notes: ElfNoteInfo[] = [];
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(64);
    await fh.read(head, 0, 64, 0);
    const le = identOf(path, head).le;
    for (const p of (await readPhdrs(path)).filter((h) => h.type === PT_NOTE)) {
      if (p.filesz > 16 << 20) throw new Error(`${path}: PT_NOTE of ${p.filesz} bytes is implausibly large`);
      const buf = Buffer.alloc(p.filesz);
      await fh.read(buf, 0, p.filesz, p.offset);
      let pos = 0;
      while (pos + 12 <= buf.length) {
        const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
        const namesz = u32(pos);
        const descsz = u32(pos + 4);
        const type = u32(pos + 8);
        const nameAt = pos + 12;
        const descAt = nameAt + ((namesz + 3) & ~3);
        const end = descAt + ((descsz + 3) & ~3);
        if (descAt + descsz > buf.length) throw new Error(`${path}: note at ${p.offset + pos} runs past its PT_NOTE`);
        notes.push({
          name: buf.toString('latin1', nameAt, nameAt + namesz).replace(/\0+$/, ''),
          type,
          desc: buf.subarray(descAt, descAt + descsz),
        });
        pos = end;
      }
    }
    return notes;
  } finally {
    await fh.close();
  }
}

interface ElfIdent {
  is64: boolean;
  le: boolean;
}

function identOf(path: string, eh: Buffer): ElfIdent {
  if (eh.readUInt32BE(0) !== 0x7f454c46 || (eh[4] !== 1 && eh[4] !== 2) || (eh[5] !== 1 && eh[5] !== 2)) {
    throw new Error(`${path}: not an ELF32/ELF64 file of either byte order`);
  }
  return { is64: eh[4] === 2, le: eh[5] === 1 };
}

/** Reads fields of one class and byte order (QEMU writes ELF32 for i386, big-endian for s390x/ppc64). */
function fieldReader(id: ElfIdent, b: Buffer) {
  const u16 = (o: number) => (id.le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (id.le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (o: number) => (id.le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  return { u16, u32, u64, word: (o: number) => (id.is64 ? u64(o) : BigInt(u32(o))) };
}

async function readPhdrs(path: string): Promise<Array<ElfLoad & { type: number }>> {
  const fh = await open(path, 'r');
  try {
    const readAt = async (pos: number, len: number) => {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      if (bytesRead !== len) throw new Error(`${path}: truncated at ${pos} (wanted ${len} bytes, got ${bytesRead})`);
      return buf;
    };
    const eh = await readAt(0, 64);
    const id = identOf(path, eh);
    const e = fieldReader(id, eh);
    const phoff = Number(id.is64 ? e.u64(0x20) : e.u32(0x1c));
    const shoff = Number(id.is64 ? e.u64(0x28) : e.u32(0x20));
    const phentsize = e.u16(id.is64 ? 0x36 : 0x2a);
    let phnum = e.u16(id.is64 ? 0x38 : 0x2c);
    if (phnum === PN_XNUM) {
      if (shoff === 0) throw new Error(`${path}: e_phnum is PN_XNUM but there is no section header 0`);
      phnum = fieldReader(id, await readAt(shoff, 64)).u32(id.is64 ? 0x2c : 0x1c);
    }
    const want = id.is64 ? 56 : 32;
    if (phentsize !== want) throw new Error(`${path}: e_phentsize ${phentsize}, expected ${want}`);
    const ph = await readAt(phoff, phnum * phentsize);
    const p = fieldReader(id, ph);
    const loads: Array<ElfLoad & { type: number }> = [];
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      // Elf64_Phdr: type flags offset vaddr paddr filesz memsz; Elf32_Phdr: type offset vaddr paddr filesz memsz flags
      const at = id.is64 ? [8, 16, 24, 32, 40] : [4, 8, 12, 16, 20];
      loads.push({
        type: p.u32(b),
        offset: Number(p.word(b + at[0]!)),
        vaddr: p.word(b + at[1]!),
        paddr: Number(p.word(b + at[2]!)),
        filesz: Number(p.word(b + at[3]!)),
        memsz: Number(p.word(b + at[4]!)),
      });
    }
    return loads;
  } finally {
    await fh.close();
  }
}
