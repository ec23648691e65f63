import { open } from 'node:fs/promises';

export interface ElfLoad {
  offset: number;
  vaddr: bigint;
  paddr: number;
  filesz: number;
  memsz: number;
}

const PT_LOAD = 1;
const PN_XNUM = 0xffff;

/** The PT_LOAD headers of an ELF64 little-endian core (QEMU's x86_64 dump); handles PN_XNUM. */
export async function readElfLoads(path: string): Promise<ElfLoad[]> {
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
    const loads: ElfLoad[] = [];
    for (let i = 0; i < phnum; i++) {
      const b = i * phentsize;
      if (ph.readUInt32LE(b) !== PT_LOAD) continue;
      loads.push({
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
