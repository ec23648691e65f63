// What the 64- and 32-bit synthetic guests share: options, facts, the note name, the fill and
// the page pieces of a virtual range.
import { encodeNote, latin1Bytes } from '@vmcore/bytes';
import type { GuestRam } from './ram.js';

const PAGE = 4096;

export interface WinGuestOptions {
  /** Virtual CPUs (QEMU -smp) and the header's NumberProcessors. */
  readonly cpus: number;
  /** 'encoded': KdDebuggerDataBlock is encoded as Windows keeps it; BugcheckParameter1 points at the decoded copy. */
  readonly kdbg: 'plain' | 'encoded';
  /** Put half of the RAM above 4 GiB and the kernel structures there. */
  readonly highMemory: boolean;
  /** A bugcheck code in KiBugcheckData (0: a live system, QEMU writes 0x161). */
  readonly bugcheckCode?: number;
  /** RAM below 4 GiB in MiB (default 32; at least 8). With highMemory, as much again above 4 GiB. */
  readonly memMiB?: number;
  /** What fills the pages nothing else uses: a per-page pattern (default) or zeros (the small sample). */
  readonly fill?: 'pattern' | 'zero';
  /** 32: a 'PAGEDUMP' guest on 32-bit paging (plain KDBG, RAM below 4 GiB only). Default 64. */
  readonly bits?: 64 | 32;
}

/** Where everything is, for tests and for the mutations of the error cases. */
export interface WinGuestFacts {
  readonly options: WinGuestOptions;
  readonly memMiB: number;
  readonly lowMem: number;
  readonly highMem: number;
  readonly blocks: { start: number; size: number; offset: number }[];
  readonly notePaddr: number;
  readonly noteSize: number;
  readonly directoryTableBase: number;
  readonly doneAddr: number;
  readonly kernelBase: string;
  /** The header's KdDebuggerDataBlock (encoded or plain). */
  readonly kdbgVirt: string;
  readonly kdbgPhys: number;
  /** The decoded copy the driver reports in BugcheckParameter1 (encoded guests). */
  readonly kdbgDecodedVirt?: string;
  readonly keys?: { kiWaitNever: string; kiWaitAlways: string; kdpDataBlockEncoded: string };
  readonly kiWaitNeverVirt: string;
  readonly kiWaitAlwaysVirt: string;
  readonly kdpDataBlockEncodedVirt: string;
  readonly kiBugcheckDataVirt: string;
  readonly kiProcessorBlockVirt: string;
  readonly mmPfnDatabase: string;
  readonly offsetPrcbContext: number;
  readonly prcbVirt: string[];
  readonly contextVirt: string[];
  /** Physical pieces of each CPU's CONTEXT (a context may straddle two discontiguous pages). */
  readonly contextPhys: { phys: number; length: number }[][];
  readonly runs: { basePage: number; pageCount: number }[];
  readonly numberOfPages: number;
  /** A zeroed kernel page whose next virtual page is unmapped (the error cases use it). */
  readonly spareVirt: string;
  readonly sparePhys: number;
  /** An address no table maps. */
  readonly unmappedVirt: string;
}

export interface WinGuestImage {
  readonly ram: GuestRam;
  readonly facts: WinGuestFacts;
}

export const ELF_NOTE_NAME = 'VMCOREINFO';

/** Each RAM page starts with its page number and the text "page", the rest a byte pattern. */
export function fillPattern(ram: GuestRam): void {
  for (const block of ram.blocks()) {
    for (let at = 0; at < block.size; at += PAGE) {
      const off = block.offset + at;
      const pfn = (block.start + at) / PAGE;
      const view = new DataView(ram.bytes.buffer, off, PAGE);
      view.setUint32(0, pfn, true);
      ram.bytes.set(latin1Bytes('page'), off + 4);
      for (let k = 8; k < PAGE; k += 4) view.setUint32(k, (pfn * 2654435761 + k) >>> 0, true);
    }
  }
}

export function pieces(mapped: { virt: bigint; phys: number }[], virt: bigint, length: number): { phys: number; length: number }[] {
  const out: { phys: number; length: number }[] = [];
  let done = 0;
  while (done < length) {
    const v = virt + BigInt(done);
    const p = mapped.find((m) => v >= m.virt && v < m.virt + BigInt(PAGE))!;
    const n = Math.min(length - done, PAGE - Number(v - p.virt));
    out.push({ phys: p.phys + Number(v - p.virt), length: n });
    done += n;
  }
  return out;
}

/** One physical-memory run of the dump header: first page frame and page count. */
export interface PhysicalRun {
  readonly basePage: number;
  readonly pageCount: number;
}

/** Runs of RAM below 4 GiB as Windows reports them: without page 0 and the 640 KiB-1 MiB hole. */
export function lowMemoryRuns(lowMem: number): PhysicalRun[] {
  return [
    { basePage: 1, pageCount: 0x9f },
    { basePage: 0x100, pageCount: lowMem / PAGE - 0x100 },
  ];
}

/** A header buffer as KeInitializeCrashDumpHeader starts it: "PAGE" over every word, fields set later. */
export function pageFilledHeader(size: number): Uint8Array {
  const header = new Uint8Array(size);
  const word = latin1Bytes('PAGE');
  for (let i = 0; i < size; i += 4) header.set(word, i);
  return header;
}

/** Writes the run array at `offset`: base page then page count, each `width` bytes, little-endian. */
export function writeRuns(header: Uint8Array, offset: number, runs: readonly PhysicalRun[], width: 4 | 8): void {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  runs.forEach((run, i) => {
    const at = offset + i * 2 * width;
    if (width === 8) {
      view.setBigUint64(at, BigInt(run.basePage), true);
      view.setBigUint64(at + 8, BigInt(run.pageCount), true);
    } else {
      view.setUint32(at, run.basePage, true);
      view.setUint32(at + 4, run.pageCount, true);
    }
  });
}

/** The fw_cfg note the guest driver leaves: name "VMCOREINFO", type 0, the dump header as descriptor. */
export function headerNote(header: Uint8Array): Uint8Array {
  return encodeNote({ name: ELF_NOTE_NAME, type: 0, desc: header }, 'le');
}
