import { latin1Bytes } from '@vmcore/bytes';
import {
  fillPattern,
  headerNote,
  lowMemoryRuns,
  pageFilledHeader,
  pieces,
  writeRuns,
  type WinGuestFacts,
  type WinGuestImage,
  type WinGuestOptions,
} from './layout-common.js';
import { PageTableBuilder32 } from './page-tables.js';
import { GuestRam } from './ram.js';
import { DUMP_HEADER32, DUMP_HEADER32_SIZE, KDBG, KDBG_SIZE, RUNS_OFFSET32 } from './windows-structs.js';

const MIB = 1 << 20;
const PAGE = 4096;
const KERNEL_BASE = 0x82a00000;
const CONTEXT32_SIZE = 720;
const hex = (v: bigint | number) => `0x${v.toString(16)}`;
/** 32-bit Windows keeps KDDEBUGGER_DATA64 with sign-extended pointers; QEMU reads their low 4 bytes. */
const sext = (v: number) => BigInt.asUintN(64, BigInt.asIntN(32, BigInt(v)));

/**
 * The 32-bit variant of buildWinGuest(): a 'PAGEDUMP' header (DUMP_HEADER32) in a note of
 * QEMU's 32-bit size, 32-bit paging (4 MiB identity pages for the firmware, 4 KiB pages for the
 * kernel), 4-byte pointers in KiProcessorBlock and the PRCBs, 720-byte CONTEXTs. QEMU reads
 * the KDBG at its 64-bit offsets for 32-bit guests too.
 */
export function buildWinGuest32(options: WinGuestOptions): WinGuestImage {
  if (options.kdbg !== 'plain' || options.highMemory) throw new Error('win-guest: a 32-bit guest has a plain KDBG and no RAM above 4 GiB');
  const lowMem = (options.memMiB ?? 32) * MIB;
  const ram = new GuestRam(lowMem, 0);
  if (options.fill !== 'zero') fillPattern(ram);

  let nextTable = 0x10000;
  const tables = new PageTableBuilder32(ram, () => {
    const at = nextTable;
    nextTable += PAGE;
    ram.set(at, new Uint8Array(PAGE));
    return at;
  });
  for (let at = 0; at < lowMem; at += 4 * MIB) tables.map4m(at, at);

  let nextData = 4 * MIB;
  let nextVirt = KERNEL_BASE;
  const mapped: { virt: bigint; phys: number }[] = [];
  const page = () => {
    const m = { virt: BigInt(nextVirt), phys: nextData };
    tables.map4k(nextVirt, nextData);
    ram.set(nextData, new Uint8Array(PAGE));
    nextVirt += PAGE;
    nextData += 2 * PAGE;
    mapped.push(m);
    return m;
  };
  const toPhys = (virt: number) => {
    const m = mapped.find((p) => BigInt(virt) >= p.virt && BigInt(virt) < p.virt + BigInt(PAGE));
    if (!m) throw new Error(`win-guest: ${hex(virt)} not mapped`);
    return m.phys + (virt - Number(m.virt));
  };

  page();
  const globals = Number(page().virt);
  const kiBugcheckData = globals + 0x180;
  const kiProcessorBlock = globals + 0x200;
  const psLoadedModuleList = globals + 0x400;
  const psActiveProcessHead = globals + 0x410;
  for (const head of [psLoadedModuleList, psActiveProcessHead]) {
    ram.u32(toPhys(head), head);
    ram.u32(toPhys(head + 4), head);
  }
  const bugcheck = options.bugcheckCode ?? 0;
  ram.u32(toPhys(kiBugcheckData), bugcheck);
  if (bugcheck) for (let i = 0; i < 4; i++) ram.u32(toPhys(kiBugcheckData + 4 + i * 4), 0xdead0000 + i);

  const offsetPrcbContext = 0x18;
  const prcbs = Array.from({ length: options.cpus }, () => Number(page().virt));
  const contextPages = Array.from({ length: options.cpus + 1 }, () => Number(page().virt));
  const contextVirt = contextPages.slice(0, options.cpus).map((base, i) => (i === 1 ? base + PAGE - 0x100 : base + 0x20));
  for (let i = 0; i < options.cpus; i++) {
    ram.u32(toPhys(kiProcessorBlock + i * 4), prcbs[i]!);
    ram.u32(toPhys(prcbs[i]! + offsetPrcbContext), contextVirt[i]!);
    for (let k = 0; k < CONTEXT32_SIZE; k++) ram.set(toPhys(contextVirt[i]! + k), new Uint8Array([(0x40 + i * 16 + k) & 0xff]));
  }
  const contextPhys = contextVirt.map((virt) => pieces(mapped, BigInt(virt), CONTEXT32_SIZE));

  const mmPfnDatabase = 0x84000000;
  const kdbgVirt = Number(page().virt) + 0x80;
  const kdbg = new Uint8Array(KDBG_SIZE);
  const view = new DataView(kdbg.buffer);
  view.setBigUint64(KDBG.ListFlink, sext(kdbgVirt), true);
  view.setBigUint64(KDBG.ListBlink, sext(kdbgVirt), true);
  kdbg.set(latin1Bytes('KDBG'), KDBG.OwnerTag);
  view.setUint32(KDBG.Size, KDBG_SIZE, true);
  view.setBigUint64(KDBG.KernBase, sext(KERNEL_BASE), true);
  view.setBigUint64(KDBG.PsLoadedModuleList, sext(psLoadedModuleList), true);
  view.setBigUint64(KDBG.PsActiveProcessHead, sext(psActiveProcessHead), true);
  view.setBigUint64(KDBG.KiBugcheckData, sext(kiBugcheckData), true);
  view.setBigUint64(KDBG.MmPfnDatabase, sext(mmPfnDatabase), true);
  view.setBigUint64(KDBG.KiProcessorBlock, sext(kiProcessorBlock), true);
  view.setUint16(KDBG.OffsetPrcbContext, offsetPrcbContext, true);
  ram.set(toPhys(kdbgVirt), kdbg);
  const spare = page();

  const runs = lowMemoryRuns(lowMem);
  const numberOfPages = runs.reduce((s, r) => s + r.pageCount, 0);
  const notePaddr = 0x20000;
  const header = pageFilledHeader(DUMP_HEADER32_SIZE);
  DUMP_HEADER32.encode(
    {
      Signature: 'PAGE',
      ValidDump: 'DUMP',
      MajorVersion: 0xf,
      MinorVersion: 19041,
      DirectoryTableBase: tables.root,
      PfnDataBase: 0,
      PsLoadedModuleList: psLoadedModuleList,
      PsActiveProcessHead: psActiveProcessHead,
      MachineImageType: 0x14c,
      NumberProcessors: options.cpus,
      BugCheckCode: 0,
      BugCheckParameter1: 0,
      BugCheckParameter2: 0,
      BugCheckParameter3: 0,
      BugCheckParameter4: 0,
      PaeEnabled: 0,
      KdSecondaryVersion: 0,
      Spare3: new Uint8Array(2),
      KdDebuggerDataBlock: kdbgVirt,
      NumberOfRuns: runs.length,
      NumberOfPages: numberOfPages,
    },
    'le',
    header,
  );
  header.fill(0, DUMP_HEADER32.offsets.VersionUser, DUMP_HEADER32.offsets.VersionUser + 32);
  writeRuns(header, RUNS_OFFSET32, runs, 4);
  const note = headerNote(header);
  ram.set(notePaddr, note);
  const doneAddr = 0x5f0;
  ram.u32(doneAddr, 0);

  const facts: WinGuestFacts = {
    options,
    memMiB: lowMem / MIB,
    lowMem,
    highMem: 0,
    blocks: ram.blocks(),
    notePaddr,
    noteSize: note.length,
    directoryTableBase: tables.root,
    doneAddr,
    kernelBase: hex(KERNEL_BASE),
    kdbgVirt: hex(kdbgVirt),
    kdbgPhys: toPhys(kdbgVirt),
    kiWaitNeverVirt: '0x0',
    kiWaitAlwaysVirt: '0x0',
    kdpDataBlockEncodedVirt: '0x0',
    kiBugcheckDataVirt: hex(kiBugcheckData),
    kiProcessorBlockVirt: hex(kiProcessorBlock),
    mmPfnDatabase: hex(mmPfnDatabase),
    offsetPrcbContext,
    prcbVirt: prcbs.map(hex),
    contextVirt: contextVirt.map(hex),
    contextPhys,
    runs,
    numberOfPages,
    spareVirt: hex(spare.virt),
    sparePhys: spare.phys,
    unmappedVirt: hex(KERNEL_BASE + 0x4000000),
  };
  return { ram, facts };
}
