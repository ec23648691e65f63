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

/** The PT_LOAD headers of an ELF64 little-endian core (QEMU's x86_64 dump); handles PN_XNUM. */
export async function readElfLoads(path: string): Promise<ElfLoad[]> {
  return (await readPhdrs(path)).filter((p) => p.type === PT_LOAD).map(({ type: _t, ...l }) => l);
}

/** The notes of every PT_NOTE segment, in order. */
export async function readElfNotes(path: string): Promise<ElfNoteInfo[]> {
  const notes: ElfNoteInfo[] = [];
  const fh = await open(path, 'r');
  try {
    for (const p of (await readPhdrs(path)).filter((h) => h.type === PT_NOTE)) {
      if (p.filesz > 16 << 20) throw new Error(`${path}: PT_NOTE of ${p.filesz} bytes is implausibly large`);
      const buf = Buffer.alloc(p.filesz);
      await fh.read(buf, 0, p.filesz, p.offset);
      let pos = 0;
      while (pos + 12 <= buf.length) {
        const namesz = buf.readUInt32LE(pos);
        const descsz = buf.readUInt32LE(pos + 4);
        const type = buf.readUInt32LE(pos + 8);
        const nameAt = pos + 12;
        const descAt = nameAt + ((namesz + 3) & ~3);
        const end = descAt + ((descsz + 3) & ~3);
        if (descAt + descsz > buf.length) throw new Error(`${path}: note at ${p.offset + pos} runs past its PT_NOTE`);
        notes.push({ name: buf.toString('latin1', nameAt, nameAt + namesz).replace(/\0+$/, ''), type, desc: buf.subarray(descAt, descAt + descsz) });
        pos = end;
      }
    }
    return notes;
  } finally {
    await fh.close();
  }
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
    if (eh.readUInt32BE(0) !== 0x7f454c46 || eh[4] !== 2 || eh[5] !== 1) {
      throw new Error(`${path}: not an ELF64 little-endian file`);
    }
    const phoff = Number(eh.readBigUInt64LE(0x20));
    const shoff = Number(eh.readBigUInt64LE(0x28));
    const phentsize = eh.readUInt16LE(0x36);
    let phnum = eh.readUInt16LE(0x38);
    if (phnum === PN_XNUM) {
      if (shoff === 0) throw new Error(`${path}: e_phnum is PN_XNUM but there is no section header 0`);
      phnum = (await readAt(shoff, 64)).readUInt32LE(0x2c);
    }
    if (phentsize !== 56) throw new Error(`${path}: e_phentsize ${phentsize}, expected 56`);
    const ph = await readAt(phoff, phnum * phentsize);
    const loads: Array<ElfLoad & { type: number }> = [];
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      loads.push({
        type: ph.readUInt32LE(b),
        offset: Number(ph.readBigUInt64LE(b + 8)),
        vaddr: ph.readBigUInt64LE(b + 16),
        paddr: Number(ph.readBigUInt64LE(b + 24)),
        filesz: Number(ph.readBigUInt64LE(b + 32)),
        memsz: Number(ph.readBigUInt64LE(b + 40)),
      });
    }
    return loads;
  } finally {
    await fh.close();
  }
}
