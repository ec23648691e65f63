import { latin1Bytes } from '@vmcore/bytes';
import { encodeKdbg, type KdbgKeys } from './kdbg-encoding.js';
import { PageTableBuilder } from './page-tables.js';
import { GuestRam } from './ram.js';
import { buildWinGuest32 } from './layout32.js';
import {
  ELF_NOTE_NAME,
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

export { ELF_NOTE_NAME, fillPattern, pieces };
export type { WinGuestFacts, WinGuestImage, WinGuestOptions };
import {
  COMMENT_OFFSET64,
  DUMP_HEADER64,
  DUMP_HEADER64_SIZE,
  DUMP_TYPE_OFFSET64,
  KDBG,
  KDBG_SIZE,
  RUNS_OFFSET64,
} from './windows-structs.js';

const MIB = 1 << 20;
const PAGE = 4096;
const KERNEL_BASE = 0xfffff806_12000000n;
const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/**
 * Lays out guest-physical memory that holds what QEMU's win_dump.c reads, and nothing that
 * pretends to be more: the fw_cfg note with a DUMP_HEADER64, 4-level page tables for the
 * kernel addresses used (and an identity map of low RAM for the firmware), a KDBG block,
 * KiBugcheckData, KiProcessorBlock, one PRCB per CPU pointing at a CONTEXT, and the keys
 * Windows encodes the KDBG with. Every other byte of RAM is a page-number pattern, so a page
 * in the wrong place shows.
 */
export function buildWinGuest(options: WinGuestOptions): WinGuestImage {
  if (options.bits === 32) return buildWinGuest32(options);
  const lowMem = (options.memMiB ?? 32) * MIB;
  if (lowMem < 8 * MIB) throw new Error(`win-guest: memMiB must be at least 8, got ${options.memMiB}`);
  const highMem = options.highMemory ? lowMem : 0;
  const ram = new GuestRam(lowMem, highMem);
  if (options.fill !== 'zero') fillPattern(ram);

  // Low RAM: firmware scratch (0x500-0x7000), page tables from 0x10000, the note at 0x20000.
  let nextTable = 0x10000;
  const tables = new PageTableBuilder(ram, () => {
    const at = nextTable;
    nextTable += PAGE;
    ram.set(at, new Uint8Array(PAGE));
    return at;
  });
  for (let mib = 0; mib < lowMem; mib += 2 * MIB) tables.map2m(BigInt(mib), mib);

  // Kernel pages: physical pages taken two apart so that consecutive virtual pages are never
  // physically adjacent, above 4 GiB when asked.
  let nextData = options.highMemory ? 2 ** 32 + 4 * MIB : 4 * MIB;
  let nextVirt = KERNEL_BASE;
  const page = () => {
    const virt = nextVirt;
    const phys = nextData;
    nextVirt += BigInt(PAGE);
    nextData += 2 * PAGE;
    tables.map4k(virt, phys);
    ram.set(phys, new Uint8Array(PAGE));
    return { virt, phys };
  };
  const pages = (count: number) => Array.from({ length: count }, page);
  const toPhys = (mapped: { virt: bigint; phys: number }[], virt: bigint) => {
    const p = mapped.find((m) => virt >= m.virt && virt < m.virt + BigInt(PAGE));
    if (!p) throw new Error(`win-guest: ${hex(virt)} not mapped`);
    return p.phys + Number(virt - p.virt);
  };

  const kernel = pages(2); // image start and .data: the globals
  const globals = kernel[1]!;
  const kiWaitNever = globals.virt + 0x100n;
  const kiWaitAlways = globals.virt + 0x108n;
  const kdpDataBlockEncoded = globals.virt + 0x110n;
  const kiBugcheckData = globals.virt + 0x180n;
  const kiProcessorBlock = globals.virt + 0x200n;
  const psLoadedModuleList = globals.virt + 0x400n;
  const psActiveProcessHead = globals.virt + 0x410n;
  const keys: KdbgKeys = { kiWaitNever: 0x1d3c8a7f0b2e6635n, kiWaitAlways: 0x9e4c27d1f03a5b68n, kdpDataBlockEncoded };
  ram.u64(toPhys(kernel, kiWaitNever), keys.kiWaitNever);
  ram.u64(toPhys(kernel, kiWaitAlways), keys.kiWaitAlways);
  ram.set(toPhys(kernel, kdpDataBlockEncoded), new Uint8Array([options.kdbg === 'encoded' ? 1 : 0]));
  for (const head of [psLoadedModuleList, psActiveProcessHead]) {
    ram.u64(toPhys(kernel, head), head);
    ram.u64(toPhys(kernel, head + 8n), head);
  }
  const bugcheck = options.bugcheckCode ?? 0;
  ram.u32(toPhys(kernel, kiBugcheckData), bugcheck);
  if (bugcheck) {
    for (let i = 0; i < 4; i++) ram.u64(toPhys(kernel, kiBugcheckData + 8n + BigInt(i) * 8n), 0xdead0000n + BigInt(i));
  }

  // One PRCB per CPU; each points at a CONTEXT. CPU 1's CONTEXT straddles a page boundary.
  const offsetPrcbContext = 0x6f0;
  const prcbPages = pages(options.cpus);
  const contextPages = pages(options.cpus + 1);
  const contextVirt: bigint[] = [];
  for (let i = 0; i < options.cpus; i++) {
    const base = contextPages[i]!.virt;
    contextVirt.push(i === 1 ? base + BigInt(PAGE - 0x200) : base + 0x40n);
  }
  const mappedData = [...kernel, ...prcbPages, ...contextPages];
  for (let i = 0; i < options.cpus; i++) {
    const prcb = prcbPages[i]!;
    ram.u64(toPhys(mappedData, kiProcessorBlock + BigInt(i) * 8n), prcb.virt);
    ram.u64(prcb.phys + offsetPrcbContext, contextVirt[i]!);
    // What Windows saved in the CONTEXT before the dump: QEMU replaces it in the dump only.
    const saved = new Uint8Array(0x4d0).map((_, k) => (0x40 + i * 16 + k) & 0xff);
    for (let k = 0; k < saved.length; k++) ram.set(toPhys(mappedData, contextVirt[i]! + BigInt(k)), saved.subarray(k, k + 1));
  }
  const contextPhys = contextVirt.map((virt) => pieces(mappedData, virt, 0x4d0));

  // KdDebuggerDataBlock: plain, or encoded with a decoded copy elsewhere.
  const mmPfnDatabase = 0xffffc480_00000000n;
  const kdbgPlain = new Uint8Array(KDBG_SIZE);
  const kdbgPages = pages(options.kdbg === 'encoded' ? 2 : 1);
  const kdbgVirt = kdbgPages[0]!.virt + 0x80n;
  const kdbgDecodedVirt = options.kdbg === 'encoded' ? kdbgPages[1]!.virt + 0x40n : undefined;
  const view = new DataView(kdbgPlain.buffer);
  view.setBigUint64(KDBG.ListFlink, kdbgVirt, true);
  view.setBigUint64(KDBG.ListBlink, kdbgVirt, true);
  kdbgPlain.set(latin1Bytes('KDBG'), KDBG.OwnerTag);
  view.setUint32(KDBG.Size, KDBG_SIZE, true);
  view.setBigUint64(KDBG.KernBase, KERNEL_BASE, true);
  view.setBigUint64(KDBG.PsLoadedModuleList, psLoadedModuleList, true);
  view.setBigUint64(KDBG.PsActiveProcessHead, psActiveProcessHead, true);
  view.setBigUint64(KDBG.KiBugcheckData, kiBugcheckData, true);
  view.setBigUint64(KDBG.MmPfnDatabase, mmPfnDatabase, true);
  view.setBigUint64(KDBG.KiProcessorBlock, kiProcessorBlock, true);
  view.setUint16(KDBG.OffsetPrcbContext, offsetPrcbContext, true);
  const spare = page();
  const allMapped = [...mappedData, ...kdbgPages, spare];
  if (options.kdbg === 'encoded') {
    ram.set(toPhys(allMapped, kdbgVirt), encodeKdbg(kdbgPlain, keys));
    ram.set(toPhys(allMapped, kdbgDecodedVirt!), kdbgPlain);
  } else {
    ram.set(toPhys(allMapped, kdbgVirt), kdbgPlain);
  }

  // Runs: low RAM without page 0 and the 640 KiB-1 MiB hole, and all RAM above 4 GiB.
  const runs = [...lowMemoryRuns(lowMem), ...(highMem ? [{ basePage: 2 ** 20, pageCount: highMem / PAGE }] : [])];
  const numberOfPages = runs.reduce((s, r) => s + r.pageCount, 0);

  // The fw_cfg note: Elf64_Nhdr, "VMCOREINFO\0" padded to 12, then the DUMP_HEADER64, which
  // Windows fills with "PAGE" before setting fields (KeInitializeCrashDumpHeader).
  const notePaddr = 0x20000;
  const header = pageFilledHeader(DUMP_HEADER64_SIZE);
  DUMP_HEADER64.encode(
    {
      Signature: 'PAGE',
      ValidDump: 'DU64',
      MajorVersion: 0xf,
      MinorVersion: 19041,
      DirectoryTableBase: BigInt(tables.root),
      PfnDataBase: 0n,
      PsLoadedModuleList: psLoadedModuleList,
      PsActiveProcessHead: psActiveProcessHead,
      MachineImageType: 0x8664,
      NumberProcessors: options.cpus,
      BugCheckCode: 0,
      BugCheckPad: 0,
      BugCheckParameter1: kdbgDecodedVirt ?? 0n,
      BugCheckParameter2: 0n,
      BugCheckParameter3: 0n,
      BugCheckParameter4: 0n,
      KdDebuggerDataBlock: kdbgVirt,
      NumberOfRuns: runs.length,
      NumberOfPages: BigInt(numberOfPages),
    },
    'le',
    header,
  );
  header.fill(0, DUMP_HEADER64.offsets.VersionUser, DUMP_HEADER64.offsets.VersionUser + 32);
  writeRuns(header, RUNS_OFFSET64, runs, 8);
  new DataView(header.buffer).setUint32(DUMP_TYPE_OFFSET64, 1, true);
  const comment = new Uint8Array(128);
  comment.set(latin1Bytes('vmcore synthetic Windows guest: not Windows, only what QEMU win_dump.c reads'));
  header.set(comment, COMMENT_OFFSET64);
  const note = headerNote(header);
  ram.set(notePaddr, note);

  const doneAddr = 0x5f0;
  ram.u32(doneAddr, 0);
  return {
    ram,
    facts: {
      options,
      memMiB: (lowMem + highMem) / MIB,
      lowMem,
      highMem,
      blocks: ram.blocks(),
      notePaddr,
      noteSize: note.length,
      directoryTableBase: tables.root,
      doneAddr,
      kernelBase: hex(KERNEL_BASE),
      kdbgVirt: hex(kdbgVirt),
      kdbgPhys: toPhys(allMapped, kdbgVirt),
      ...(kdbgDecodedVirt !== undefined ? { kdbgDecodedVirt: hex(kdbgDecodedVirt) } : {}),
      ...(options.kdbg === 'encoded'
        ? {
            keys: {
              kiWaitNever: hex(keys.kiWaitNever),
              kiWaitAlways: hex(keys.kiWaitAlways),
              kdpDataBlockEncoded: hex(keys.kdpDataBlockEncoded),
            },
          }
        : {}),
      kiWaitNeverVirt: hex(kiWaitNever),
      kiWaitAlwaysVirt: hex(kiWaitAlways),
      kdpDataBlockEncodedVirt: hex(kdpDataBlockEncoded),
      kiBugcheckDataVirt: hex(kiBugcheckData),
      kiProcessorBlockVirt: hex(kiProcessorBlock),
      mmPfnDatabase: hex(mmPfnDatabase),
      offsetPrcbContext,
      prcbVirt: prcbPages.map((p) => hex(p.virt)),
      contextVirt: contextVirt.map(hex),
      contextPhys,
      runs,
      numberOfPages,
      spareVirt: hex(spare.virt),
      sparePhys: spare.phys,
      unmappedVirt: hex(KERNEL_BASE + 0x4000_0000n),
    },
  };
}
