import { MemorySource, type Endian } from '@vmcore/bytes';
import { guestFromParts, type DumpInfo, type ElfNote, type GuestMemory } from '@vmcore/guest-mem';

/** Deterministic page contents of four kinds: zero, compressible text, random, half random. */
export function pageContent(pfn: number, pageSize: number, seed = 1): Uint8Array {
  const page = new Uint8Array(pageSize);
  let x = (pfn * 2654435761 + seed * 97) >>> 0;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const kind = next() % 4;
  if (kind === 0) return page;
  if (kind === 1) {
    const text = `page ${pfn} of a synthetic guest; `;
    for (let i = 0; i < pageSize; i++) page[i] = text.charCodeAt(i % text.length);
    return page;
  }
  const n = kind === 2 ? pageSize : pageSize / 2;
  for (let i = 0; i < n; i++) page[i] = next() & 0xff;
  return page;
}

/** Bytes [start, start + size) of a guest whose pages follow pageContent(). */
export function contentBytes(start: number, size: number, pageSize: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  for (let at = 0; at < size;) {
    const addr = start + at;
    const pfn = Math.floor(addr / pageSize);
    const inPage = addr - pfn * pageSize;
    const n = Math.min(pageSize - inPage, size - at);
    out.set(pageContent(pfn, pageSize, seed).subarray(inPage, inPage + n), at);
    at += n;
  }
  return out;
}

export interface SyntheticOptions {
  blocks: { start: number; size: number; zero?: boolean }[];
  info?: Partial<DumpInfo>;
  cpuNotes?: ElfNote[];
  guestNote?: Uint8Array;
  nrCpus?: number;
  seed?: number;
}

export const X86_64: DumpInfo = { elfClass: 64, endian: 'le', machine: 62, arch: 'x86_64', pageSize: 4096 };

/** A guest built with @vmcore/guest-mem's guestFromParts, with generated or zero contents. */
export function syntheticGuest(options: SyntheticOptions): GuestMemory {
  const info = { ...X86_64, ...options.info } as DumpInfo;
  return guestFromParts({
    info,
    parts: options.blocks.map((b) =>
      b.zero
        ? { start: b.start, size: b.size }
        : { start: b.start, size: b.size, source: new MemorySource(contentBytes(b.start, b.size, info.pageSize, options.seed)) },
    ),
    cpuNotes: options.cpuNotes ?? [],
    ...(options.nrCpus !== undefined ? { nrCpus: options.nrCpus } : {}),
    ...(options.guestNote ? { guestNote: options.guestNote } : {}),
  });
}

/** A VMCOREINFO note as it sits in guest memory: header, padded name, padded text. */
export function vmcoreinfoNote(text: string, endian: Endian = 'le'): Uint8Array {
  const desc = new TextEncoder().encode(text);
  const out = new Uint8Array(12 + 12 + Math.ceil(desc.length / 4) * 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, 11, endian === 'le');
  view.setUint32(4, desc.length, endian === 'le');
  view.setUint32(8, 0, endian === 'le');
  out.set(new TextEncoder().encode('VMCOREINFO'), 12);
  out.set(desc, 24);
  return out;
}

/** QEMU's per-CPU notes for n x86_64 CPUs: n CORE (336 bytes) then n QEMU (440 bytes). */
export function x86_64CpuNotes(n: number): ElfNote[] {
  const core = Array.from({ length: n }, (_, i) => {
    const desc = new Uint8Array(336);
    new DataView(desc.buffer).setUint32(32, i + 1, true);
    return { name: 'CORE', type: 1, desc };
  });
  const qemu = Array.from({ length: n }, (_, i) => ({ name: 'QEMU', type: 0, desc: new Uint8Array(440).fill(i + 1) }));
  return [...core, ...qemu];
}

export async function readAll(guest: GuestMemory, start: number, size: number): Promise<Uint8Array> {
  return guest.read(start, size);
}

/** Index of the first differing byte (or length difference), -1 when equal; fast where toEqual is slow. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
