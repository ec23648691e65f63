import { encodeNote, MemorySink, MemorySource } from '@vmcore/bytes';
import {
  X86_64_DUMP_INFO,
  encodeQemuCpuState,
  encodeX86_64Prstatus,
  guestFromParts,
  x86CpuNotes,
  QEMU_SEGMENTS,
  type DumpInfo,
  type ElfNote,
  type GuestMemory,
  type GuestPart,
  type MemoryMapping,
  type PhysBlock,
} from '@vmcore/guest-mem';
import { writeElfCore, type WriteElfCoreOptions } from '../src/index.js';

export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Two x86_64 CPUs as QEMU describes them. */
export function x86_64CpuNotes(count = 2): ElfNote[] {
  const segments = Object.fromEntries(
    QEMU_SEGMENTS.map((s, i) => [s, { selector: i * 8, limit: 0xffff, flags: 0x93, base: BigInt(i) << 12n }]),
  );
  return x86CpuNotes(
    Array.from({ length: count }, (_, i) => ({
      prstatus: encodeX86_64Prstatus({ pid: i + 1, regs: { rip: 0xffffffff81000000n + BigInt(i), rsp: 0xffffc90000000000n } }),
      qemuState: encodeQemuCpuState({
        regs: { rip: 0xffffffff81000000n + BigInt(i) } as never,
        segments: segments as never,
        cr: [0x80050033n, 0n, 0n, 0x1000n, 0x6f0n],
        kernelGsBase: 0n,
      }),
    })),
  );
}

/** A VMCOREINFO note as the guest keeps it: 3277-byte descriptor, 3304 bytes in all. */
export function vmcoreinfoNote(descSize = 3277): Uint8Array {
  const desc = new Uint8Array(descSize);
  const text = 'OSRELEASE=6.1.0-test\nPAGESIZE=4096\n';
  for (let i = 0; i < descSize; i++) desc[i] = text.charCodeAt(i % text.length);
  return encodeNote({ name: 'VMCOREINFO', type: 0, desc }, 'le');
}

export interface SyntheticGuest {
  guest: GuestMemory;
  ram: Uint8Array;
  /** Guest-physical address → RAM byte, for checks. */
  byteAt(addr: number): number | undefined;
}

/**
 * A guest laid out like a small pc: RAM with the VGA hole, a ROM block right after RAM
 * (contiguous but a different region), and a block above 4 GiB.
 */
export function syntheticGuest(
  options: { info?: DumpInfo; blocks?: PhysBlock[]; mappings?: MemoryMapping[]; cpuNotes?: ElfNote[]; guestNote?: Uint8Array } = {},
): SyntheticGuest {
  const blocks = options.blocks ?? [
    { start: 0, size: 0xa0000, name: 'pc.ram' },
    { start: 0xc0000, size: 0x40000, name: 'pc.rom' },
    { start: 0x100000, size: 0x300000, name: 'pc.ram' },
    { start: 0x1_0000_0000, size: 0x11000, name: 'pc.ram' },
  ];
  const total = blocks.reduce((n, b) => n + b.size, 0);
  const ram = pattern(total, 7);
  const source = new MemorySource(ram, 'ram.bin');
  const parts: GuestPart[] = [];
  let offset = 0;
  for (const block of blocks) {
    parts.push({ ...block, source, offset });
    offset += block.size;
  }
  const guest = guestFromParts({
    info: options.info ?? X86_64_DUMP_INFO,
    parts,
    blocks,
    ...(options.mappings ? { mappings: options.mappings } : {}),
    cpuNotes: options.cpuNotes ?? x86_64CpuNotes(),
    ...(options.guestNote ? { guestNote: options.guestNote } : {}),
  });
  return {
    guest,
    ram,
    byteAt(addr) {
      let base = 0;
      for (const b of blocks) {
        if (addr >= b.start && addr < b.start + b.size) return ram[base + addr - b.start];
        base += b.size;
      }
      return undefined;
    },
  };
}

export async function writeToMemory(guest: GuestMemory, options: WriteElfCoreOptions = {}): Promise<Uint8Array> {
  const sink = new MemorySink();
  const result = await writeElfCore(guest, sink, options);
  const bytes = sink.bytesCopy();
  if (bytes.length !== result.size) throw new Error(`wrote ${bytes.length}, reported ${result.size}`);
  return bytes;
}

/** Byte equality without a deep-equality walk (vitest's toEqual is slow on MiBs). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

export function sameMemory(a: Map<number, Uint8Array>, b: Map<number, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [addr, bytes] of a) {
    const other = b.get(addr);
    if (!other || !sameBytes(bytes, other)) return false;
  }
  return true;
}
