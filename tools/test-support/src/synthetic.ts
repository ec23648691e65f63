import { encodeNote, type ElfNote } from '@vmcore/bytes';
import type { GuestMemory } from '@vmcore/guest-mem';
import { memoryGuest } from './memory-guest.js';

const PAGE = 4096;

/** A small deterministic PRNG (xorshift32) so the synthetic guest is the same on every run. */
function fillRandom(bytes: Uint8Array, seed: number): void {
  let x = seed || 1;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
}

function fillPage(page: Uint8Array, pfn: number): void {
  switch (pfn % 4) {
    case 0:
      return; // zero page: kdump writes it as the shared zero page
    case 1:
      fillRandom(page, pfn * 2654435761); // incompressible: stored raw
      return;
    default: {
      const text = `synthetic guest page ${pfn} `; // compressible text
      for (let i = 0; i < page.length; i++) page[i] = text.charCodeAt(i % text.length);
    }
  }
}

/** An ELF note as it sits in memory (little-endian), by @vmcore/bytes' note codec. */
export function encodeNoteLe(name: string, type: number, desc: Uint8Array): Uint8Array {
  return encodeNote({ name, type, desc }, 'le');
}

export interface SyntheticGuestOptions {
  /** RAM above 1 MiB, in MiB. Default 15 (a 16 MiB guest). */
  readonly ramMiB?: number;
  readonly nrCpus?: number;
}

/**
 * A made-up x86_64 guest for the demo when the sample guest is missing, and for tests: low RAM
 * (0-640 KiB) and RAM from 1 MiB, a mix of zero, incompressible and compressible pages, CORE and
 * QEMU notes per CPU, and a VMCOREINFO note with OSRELEASE and phys_base.
 */
export function syntheticGuest(options: SyntheticGuestOptions = {}): GuestMemory {
  const nrCpus = options.nrCpus ?? 1;
  const layout = [
    { start: 0, size: 640 << 10, name: 'pc.ram' },
    { start: 1 << 20, size: (options.ramMiB ?? 15) << 20, name: 'pc.ram' },
  ];
  const blocks = layout.map(({ start, size, name }) => {
    const bytes = new Uint8Array(size);
    for (let off = 0; off < size; off += PAGE) fillPage(bytes.subarray(off, off + PAGE), (start + off) / PAGE);
    return { start, bytes, name };
  });
  const cpuNotes: ElfNote[] = [];
  for (let cpu = 0; cpu < nrCpus; cpu++) {
    const prstatus = new Uint8Array(336);
    new DataView(prstatus.buffer).setUint32(32, cpu + 1, true); // pr_pid = cpu_index + 1
    cpuNotes.push({ name: 'CORE', type: 1, desc: prstatus });
  }
  for (let cpu = 0; cpu < nrCpus; cpu++) {
    const state = new Uint8Array(440);
    const view = new DataView(state.buffer);
    view.setUint32(0, 1, true); // QEMUCPUState version
    view.setUint32(4, 440, true); // size
    cpuNotes.push({ name: 'QEMU', type: 0, desc: state });
  }
  const vmcoreinfo = 'OSRELEASE=6.1.0-synthetic\nPAGESIZE=4096\nNUMBER(phys_base)=0\nSYMBOL(init_uts_ns)=ffffffff82a12360\n';
  const guestNote = encodeNoteLe('VMCOREINFO', 0, new TextEncoder().encode(vmcoreinfo));
  return memoryGuest({
    info: { elfClass: 64, endian: 'le', machine: 62, arch: 'x86_64', pageSize: PAGE },
    blocks,
    cpuNotes,
    nrCpus,
    guestNote,
  });
}
