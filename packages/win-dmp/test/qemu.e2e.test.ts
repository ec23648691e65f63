import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FileSource } from '@vmcore/bytes/node';
import { MemorySink } from '@vmcore/bytes';
import { readElfCore, writeElfCore } from '@vmcore/elf';
import { MemorySource } from '@vmcore/bytes';
import { decodeKdbgBlock, winReferenceGuest, type WinGuestOptions } from '@vmcore/win-guest';
import {
  LIVE_SYSTEM_DUMP,
  WIN_CONTEXT32,
  WIN_CONTEXT64,
  WIN_CTX32_FULL_DBG,
  WIN_CTX64_ALL,
  openWinDumpGuest,
  planWinDump,
  readWinDump,
} from '../src/index.js';
import { differences, elfGuest, ramGuest, winDumpBytes } from './helpers.js';

const VARIANTS: WinGuestOptions[] = [
  { cpus: 1, kdbg: 'plain', highMemory: false },
  { cpus: 4, kdbg: 'encoded', highMemory: true, bugcheckCode: 0xe2 },
  { cpus: 4, kdbg: 'plain', highMemory: true },
  { cpus: 1, kdbg: 'encoded', highMemory: false },
  { cpus: 2, kdbg: 'plain', highMemory: false, bits: 32, bugcheckCode: 0xe2 },
];

const name = (o: WinGuestOptions) =>
  `${o.bits ?? 64}-bit, ${o.cpus} CPU(s), ${o.kdbg} KDBG, RAM ${o.highMemory ? 'below and above 4 GiB' : 'below 4 GiB'}`;

describe.each(VARIANTS)('synthetic Windows guest: %o', (options) => {
  it(`writes QEMU 7.2's win-dmp byte for byte from QEMU's ELF (${name(options)})`, async () => {
    const ref = await winReferenceGuest(options);
    const guest = await elfGuest(ref);
    try {
      const { bytes, result } = await winDumpBytes(guest);
      const qemu = await readFile(ref.qemuDmp);
      expect(bytes.length).toBe(qemu.length);
      expect(differences(bytes, qemu)).toEqual([]);
      expect(result.plan.warnings).toEqual([]);
      // The dump is not the RAM: QEMU's CPU contexts are in it, one per CPU.
      const context = options.bits === 32 ? WIN_CONTEXT32 : WIN_CONTEXT64;
      expect(result.plan.patches.reduce((n, p) => n + p.bytes.length, 0)).toBe(options.cpus * context.size);
    } finally {
      await guest.close();
    }
  });

  it(`writes the same bytes from the RAM file, CPU state from QEMU's notes (${name(options)})`, async () => {
    const ref = await winReferenceGuest(options);
    const guest = await ramGuest(ref);
    try {
      const { bytes } = await winDumpBytes(guest, { chunkSize: 1 << 20 });
      expect(differences(bytes, await readFile(ref.qemuDmp))).toEqual([]);
    } finally {
      await guest.close();
    }
  });

  it('finds the KDBG QEMU finds, patches the header as QEMU does, and writes each CPU context', async () => {
    const ref = await winReferenceGuest(options);
    const facts = ref.facts;
    const source = await FileSource.open(ref.qemuDmp);
    const file = await readWinDump(source);
    await source.close();
    const info = file.info;
    const x64 = options.bits !== 32;
    expect(info.signature + info.validDump).toBe(x64 ? 'PAGEDU64' : 'PAGEDUMP');
    expect(info.numberProcessors).toBe(options.cpus);
    expect(info.directoryTableBase).toBe(BigInt(facts.directoryTableBase));
    // An encoded KDBG has no OwnerTag: QEMU takes the driver's decoded copy (BugcheckParameter1).
    expect(info.kdDebuggerDataBlock).toBe(BigInt(options.kdbg === 'encoded' ? facts.kdbgDecodedVirt! : facts.kdbgVirt));
    expect(info.pfnDatabase).toBe(BigInt(facts.mmPfnDatabase));
    expect(info.bugcheckCode).toBe(options.bugcheckCode ?? LIVE_SYSTEM_DUMP);
    expect(info.requiredDumpSpace).toBe(BigInt((x64 ? 8192 : 4096) + facts.numberOfPages * 4096));
    expect(info.runs.map((r) => ({ basePage: Number(r.basePage), pageCount: Number(r.pageCount) }))).toEqual(facts.runs);

    const guest = await elfGuest(ref);
    try {
      const plan = await planWinDump(guest);
      expect(plan.patches.length).toBeGreaterThanOrEqual(options.cpus);
      const dmp = await openWinDumpGuest(await FileSource.open(ref.qemuDmp));
      try {
        for (let cpu = 0; cpu < options.cpus; cpu++) {
          const pieces = facts.contextPhys[cpu]!;
          const ctx = Buffer.concat(await Promise.all(pieces.map((p) => dmp.read(p.phys, p.length))));
          if (x64) {
            const decoded = WIN_CONTEXT64.decode(ctx, 'le');
            expect(decoded.ContextFlags).toBe(WIN_CTX64_ALL);
            expect(decoded.MxCsr).toBe(0x1f80);
            expect(decoded.Dr7).toBe(0x400n);
            if (cpu === 0) expect(decoded.SegCs).toBe(0x08);
            else expect([decoded.SegCs, decoded.Rip]).toEqual([0xf000, 0xfff0n]);
          } else {
            const decoded = WIN_CONTEXT32.decode(ctx, 'le');
            expect(decoded.ContextFlags).toBe(WIN_CTX32_FULL_DBG);
            expect(decoded.Dr7).toBe(0x400);
            if (cpu === 0) expect(decoded.SegCs).toBe(0x18);
            else expect([decoded.SegCs, decoded.Eip]).toEqual([0xf000, 0xfff0]);
          }
        }
      } finally {
        await dmp.close();
      }
    } finally {
      await guest.close();
    }
  });

  it("reads QEMU's win-dmp and ours identically, and converts it back to an ELF whose run pages are the RAM file's (with QEMU's contexts)", async () => {
    const ref = await winReferenceGuest(options);
    const guest = await elfGuest(ref);
    const { bytes, result } = await winDumpBytes(guest);
    await guest.close();
    const ours = await readWinDump(new MemorySource(bytes));
    const source = await FileSource.open(ref.qemuDmp);
    const theirs = await readWinDump(source);
    await source.close();
    expect(ours).toEqual(theirs);

    const dmp = await openWinDumpGuest(await FileSource.open(ref.qemuDmp));
    const sink = new MemorySink();
    await writeElfCore(dmp, sink);
    await dmp.close();
    const elf = await readElfCore(new MemorySource(sink.bytesCopy()));
    const ram = await readFile(ref.ramFile);
    const ramAt = (phys: number) => {
      const block = ref.facts.blocks.find((b) => phys >= b.start && phys < b.start + b.size)!;
      return block.offset + phys - block.start;
    };
    const contextBytes = new Set<number>();
    for (const patch of result.plan.patches) for (let k = 0; k < patch.bytes.length; k++) contextBytes.add(patch.physAddr + k);
    let pages = 0;
    let differingOutsideContexts = 0;
    let differingInContexts = 0;
    for (const run of ref.facts.runs) {
      for (let pfn = run.basePage; pfn < run.basePage + run.pageCount; pfn++) {
        const phys = pfn * 4096;
        const page = await elf.readPhysical(phys, 4096);
        const expected = ram.subarray(ramAt(phys), ramAt(phys) + 4096);
        pages++;
        if (Buffer.compare(Buffer.from(page), expected) === 0) continue;
        for (let k = 0; k < 4096; k++) {
          if (page[k] === expected[k]) continue;
          if (contextBytes.has(phys + k)) differingInContexts++;
          else differingOutsideContexts++;
        }
      }
    }
    expect(pages).toBe(ref.facts.numberOfPages);
    // Only the CPU contexts QEMU wrote into guest memory for the dump differ from the RAM file.
    expect(differingOutsideContexts).toBe(0);
    expect(differingInContexts).toBeGreaterThan(0);
  });
});

describe('encoded KdDebuggerDataBlock', () => {
  it('is what Windows keeps: it decodes with KiWaitNever, KiWaitAlways and &KdpDataBlockEncoded to the copy QEMU uses', async () => {
    const ref = await winReferenceGuest(VARIANTS[1]!);
    const keys = ref.facts.keys!;
    const guest = await elfGuest(ref);
    try {
      const read = async (physAddr: number) => new DataView((await guest.read(physAddr, 8)).slice().buffer).getBigUint64(0, true);
      const encoded = await read(ref.facts.kdbgPhys + 0x10);
      const decoded = decodeKdbgBlock(encoded, {
        kiWaitNever: BigInt(keys.kiWaitNever),
        kiWaitAlways: BigInt(keys.kiWaitAlways),
        kdpDataBlockEncoded: BigInt(keys.kdpDataBlockEncoded),
      });
      expect(
        Buffer.from(new BigUint64Array([decoded]).buffer)
          .subarray(0, 4)
          .toString('latin1'),
      ).toBe('KDBG');
      expect(
        Buffer.from(new BigUint64Array([encoded]).buffer)
          .subarray(0, 4)
          .toString('latin1'),
      ).not.toBe('KDBG');
    } finally {
      await guest.close();
    }
  });
});
