import { latin1Bytes } from '@vmcore/bytes';
import type { WinGuestFacts } from './layout.js';
import { KDBG } from './windows-structs.js';

/** Bytes to write at a guest-physical address. */
export interface PhysWrite {
  readonly phys: number;
  readonly bytes: Uint8Array;
}

/** A change to the guest that makes QEMU's win_dump.c fail or warn, and what QEMU 7.2 says. */
export interface WinGuestMutation {
  readonly name: string;
  /** Which win_dump.c check it reaches. */
  readonly reaches: string;
  readonly writes: readonly PhysWrite[];
}

const u64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};
const u32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};

/** Header field offsets inside the note (24-byte note header first). */
const H = {
  nhdrDescsz: 4,
  Signature: 24,
  ValidDump: 28,
  NumberProcessors: 24 + 0x34,
  BugcheckParameter1: 24 + 0x40,
  KdDebuggerDataBlock: 24 + 0x80,
} as const;

/**
 * The error and warning cases of QEMU 7.2's dump/win_dump.c, as writes to the plain-KDBG
 * guest's memory (the encoded guest would need the decoded copy changed instead).
 */
export function winGuestMutations(f: WinGuestFacts): WinGuestMutation[] {
  if (f.options.kdbg !== 'plain') throw new Error('win-guest: the error cases are defined for plain-KDBG guests');
  const note = f.notePaddr;
  const kdbg = f.kdbgPhys;
  const unmapped = BigInt(f.unmappedVirt);
  const spareVirt = BigInt(f.spareVirt);
  const list: WinGuestMutation[] = [
    { name: 'note-size', reaches: 'create_win_dump: guest note size', writes: [{ phys: note + H.nhdrDescsz, bytes: u32(0x2000 - 8) }] },
    { name: 'no-note', reaches: 'create_win_dump: no guest note', writes: [{ phys: note, bytes: new Uint8Array(24) }] },
    { name: 'signature', reaches: 'check_header: Signature', writes: [{ phys: note + H.Signature, bytes: latin1Bytes('PAGX') }] },
    { name: 'valid-dump', reaches: 'check_header: ValidDump', writes: [{ phys: note + H.ValidDump, bytes: latin1Bytes('DU32') }] },
    {
      name: 'kdbg-unmapped',
      reaches: 'check_kdbg: OwnerTag unreadable',
      writes: [{ phys: note + H.KdDebuggerDataBlock, bytes: u64(unmapped) }],
    },
    {
      name: 'kdbg-tag',
      reaches: 'check_kdbg: OwnerTag wrong at KdDebuggerDataBlock and at BugcheckParameter1',
      writes: [
        { phys: kdbg + KDBG.OwnerTag, bytes: latin1Bytes('KDBX') },
        { phys: note + H.BugcheckParameter1, bytes: u64(BigInt(f.kdbgVirt)) },
      ],
    },
    {
      name: 'kdbg-fallback',
      reaches: 'check_kdbg: the KDBG at BugcheckParameter1 is used when KdDebuggerDataBlock has no OwnerTag',
      writes: [
        { phys: note + H.KdDebuggerDataBlock, bytes: u64(spareVirt) },
        { phys: note + H.BugcheckParameter1, bytes: u64(BigInt(f.kdbgVirt)) },
      ],
    },
    {
      name: 'processor-block',
      reaches: 'patch_and_save_context: KiProcessorBlock unreadable (after the MmPfnDatabase and KiBugcheckData warnings)',
      writes: [
        { phys: note + H.KdDebuggerDataBlock, bytes: u64(spareVirt + 0xf80n) },
        { phys: f.sparePhys + 0xf80 + KDBG.OwnerTag, bytes: latin1Bytes('KDBG') },
      ],
    },
    {
      name: 'prcb-context-offset',
      reaches: 'patch_and_save_context: OffsetPrcbContext unreadable',
      writes: [
        { phys: note + H.KdDebuggerDataBlock, bytes: u64(spareVirt + 0xd00n) },
        { phys: f.sparePhys + 0xd00 + KDBG.OwnerTag, bytes: latin1Bytes('KDBG') },
      ],
    },
    {
      name: 'prcb-location',
      reaches: 'patch_and_save_context: CPU #0 PRCB location',
      writes: [{ phys: kdbg + KDBG.KiProcessorBlock, bytes: u64(unmapped) }],
    },
    {
      name: 'context-frame',
      reaches: 'patch_and_save_context: CPU #0 ContextFrame location',
      writes: [
        { phys: kdbg + KDBG.KiProcessorBlock, bytes: u64(spareVirt) },
        { phys: f.sparePhys, bytes: u64(unmapped) },
      ],
    },
    {
      name: 'context',
      reaches: 'patch_and_save_context: CPU #0 context half readable',
      writes: [
        { phys: kdbg + KDBG.KiProcessorBlock, bytes: u64(spareVirt) },
        { phys: f.sparePhys, bytes: u64(spareVirt + 0x100n) },
        { phys: f.sparePhys + 0x100 + f.offsetPrcbContext, bytes: u64(spareVirt + 0xe00n) },
      ],
    },
    {
      name: 'bugcheck-pointer',
      reaches: 'patch_bugcheck_data: KiBugcheckData points nowhere (warning)',
      writes: [{ phys: kdbg + KDBG.KiBugcheckData, bytes: u64(unmapped) }],
    },
    {
      name: 'bugcheck-data',
      reaches: 'patch_bugcheck_data: bugcheck data half readable (warning)',
      writes: [
        { phys: kdbg + KDBG.KiBugcheckData, bytes: u64(spareVirt + 0xff0n) },
        { phys: f.sparePhys + 0xff0, bytes: u64(0x1234_5678_9abc_def0n) },
      ],
    },
  ];
  if (f.options.cpus > 1) {
    list.push(
      {
        name: 'cpu-count',
        reaches: 'patch_and_save_context: more QEMU CPUs than NumberProcessors (warning)',
        writes: [{ phys: note + H.NumberProcessors, bytes: u32(f.options.cpus - 1) }],
      },
      {
        name: 'prcb-location-cpu1',
        reaches: 'patch_and_save_context: CPU #1 PRCB location',
        writes: [
          { phys: kdbg + KDBG.KiProcessorBlock, bytes: u64(spareVirt + 0xff8n) },
          { phys: f.sparePhys + 0xff8, bytes: u64(BigInt(f.prcbVirt[0]!)) },
        ],
      },
    );
  }
  return list;
}

/** Applies writes to a RAM image (file offsets from the facts' blocks); returns the bytes they replaced. */
export function applyWrites(ram: Uint8Array, facts: WinGuestFacts, writes: readonly PhysWrite[]): PhysWrite[] {
  return writes.map((w) => {
    const offset = ramOffset(facts, w.phys, w.bytes.length);
    const old = ram.slice(offset, offset + w.bytes.length);
    ram.set(w.bytes, offset);
    return { phys: w.phys, bytes: old };
  });
}

export function ramOffset(facts: WinGuestFacts, phys: number, length: number): number {
  const block = facts.blocks.find((b) => phys >= b.start && phys + length <= b.start + b.size);
  if (!block) throw new Error(`win-guest: 0x${phys.toString(16)} is not in guest RAM`);
  return block.offset + phys - block.start;
}
