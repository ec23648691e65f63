import { open } from 'node:fs/promises';
import { parseNotes, VmcoreError, VmcoreErrorCode, type ParsedNote } from '@vmcore/bytes';

/**
 * Just the parts of a QEMU x86_64 ELF core the e2e tests need (ELF64 little-endian): PT_LOAD
 * segments for physical reads and the PT_NOTE notes. @vmcore/elf depends on this package, so the
 * tests read these few fields themselves.
 */
export interface QemuElf {
  readonly loads: readonly { paddr: number; offset: number; filesz: number }[];
  readonly noteBytes: Uint8Array;
  readonly notes: readonly ParsedNote[];
  read(physAddr: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function openQemuElf(path: string): Promise<QemuElf> {
  const file = await open(path, 'r');
  const readAt = async (offset: number, length: number) => {
    const buf = new Uint8Array(length);
    const { bytesRead } = await file.read(buf, 0, length, offset);
    if (bytesRead !== length) throw new VmcoreError(VmcoreErrorCode.Truncated, `${path}: short read at ${offset}`);
    return buf;
  };
  const eh = new DataView((await readAt(0, 64)).buffer);
  if (eh.getUint32(0) !== 0x7f454c46 || eh.getUint8(4) !== 2 || eh.getUint8(5) !== 1) throw new Error(`${path}: not an ELF64 LE file`);
  const phoff = Number(eh.getBigUint64(0x20, true));
  const shoff = Number(eh.getBigUint64(0x28, true));
  let phnum = eh.getUint16(0x38, true);
  if (phnum === 0xffff) phnum = new DataView((await readAt(shoff, 64)).buffer).getUint32(44, true);
  const ph = new DataView((await readAt(phoff, phnum * 56)).buffer);
  const loads: { paddr: number; offset: number; filesz: number }[] = [];
  let noteBytes = new Uint8Array(0);
  for (let i = 0; i < phnum; i++) {
    const at = i * 56;
    const type = ph.getUint32(at, true);
    const offset = Number(ph.getBigUint64(at + 8, true));
    const paddr = Number(ph.getBigUint64(at + 24, true));
    const filesz = Number(ph.getBigUint64(at + 32, true));
    if (type === 1 && filesz > 0) loads.push({ paddr, offset, filesz });
    if (type === 4) noteBytes = await readAt(offset, filesz);
  }
  return {
    loads,
    noteBytes,
    notes: parseNotes(noteBytes, 'le', { what: `${path} notes` }),
    async read(physAddr, length) {
      const load = loads.find((l) => physAddr >= l.paddr && physAddr + length <= l.paddr + l.filesz);
      if (!load) throw new VmcoreError(VmcoreErrorCode.OutOfRange, `${path}: ${physAddr}+${length} is in no PT_LOAD`);
      return readAt(load.offset + (physAddr - load.paddr), length);
    },
    close: () => file.close(),
  };
}
