import { describe, expect, it } from 'vitest';
import { MemorySource } from '@vmcore/bytes';
import { encodeQemuCpuState, guestFromParts, X86_64_DUMP_INFO, ZERO_SEGMENT, type GuestMemory } from '@vmcore/guest-mem';
import { buildWinGuest, type WinGuestOptions } from '@vmcore/win-guest';
import { LIVE_SYSTEM_DUMP, WIN_CONTEXT64, openWinDumpGuest, planWinDump, readWinDump, writeWinDump } from '../src/index.js';

/**
 * The writer's logic on the synthetic guest's memory without QEMU: CPU 0 in long mode on the
 * guest's page tables (what the firmware leaves), as a QEMU note would describe it.
 */
function guest(options: WinGuestOptions): { guest: GuestMemory; facts: ReturnType<typeof buildWinGuest>['facts'] } {
  const image = buildWinGuest(options);
  const f = image.facts;
  const regs = Object.fromEntries(
    ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags'].map(
      (r, i) => [r, BigInt(i + 1)],
    ),
  );
  const segments = Object.fromEntries(
    ['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'ldt', 'tr', 'gdt', 'idt'].map((s) => [
      s,
      s === 'cs' ? { ...ZERO_SEGMENT, selector: 8, flags: 1 << 21 } : ZERO_SEGMENT,
    ]),
  );
  const cpuNotes = Array.from({ length: options.cpus }, () => ({
    name: 'QEMU',
    type: 0,
    desc: encodeQemuCpuState({
      regs: regs as never,
      segments: segments as never,
      cr: [0x80000011n, 0n, 0n, BigInt(f.directoryTableBase), 0x20n],
    }),
  }));
  const source = new MemorySource(image.ram.bytes);
  const parts = f.blocks.map((b) => ({ start: b.start, size: b.size, source, offset: b.offset }));
  const note = image.ram.bytes.slice(f.notePaddr, f.notePaddr + f.noteSize);
  return { guest: guestFromParts({ info: X86_64_DUMP_INFO, parts, cpuNotes, guestNote: note }), facts: f };
}

async function bytesOf(g: GuestMemory): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await writeWinDump(g, { write: async (b) => void chunks.push(b.slice()) }, { chunkSize: 1 << 18 });
  return Buffer.concat(chunks);
}

describe('writeWinDump on the synthetic guest (no QEMU)', () => {
  it('takes the decoded KDBG copy when the header points at an encoded one', async () => {
    const { guest: g, facts } = guest({ cpus: 2, kdbg: 'encoded', highMemory: true });
    const plan = await planWinDump(g);
    expect(new DataView(plan.header.buffer, plan.header.byteOffset).getBigUint64(0x80, true)).toBe(BigInt(facts.kdbgDecodedVirt!));
    expect(plan.requiredDumpSpace).toBe(BigInt(8192 + facts.numberOfPages * 4096));
  });

  it('writes each CPU context where the PRCB points, across two discontiguous physical pages for CPU 1', async () => {
    const { guest: g, facts } = guest({ cpus: 2, kdbg: 'plain', highMemory: false });
    const plan = await planWinDump(g);
    expect(plan.patches.map((p) => [p.physAddr, p.bytes.length])).toEqual(facts.contextPhys.flat().map((p) => [p.phys, p.length]));
    expect(facts.contextPhys[1]!.length).toBe(2);
    const back = await openWinDumpGuest(new MemorySource(await bytesOf(g)));
    const pieces = facts.contextPhys[1]!;
    const ctx = Buffer.concat(await Promise.all(pieces.map((p) => back.read(p.phys, p.length))));
    const decoded = WIN_CONTEXT64.decode(ctx, 'le');
    expect([decoded.Rax, decoded.Rip, decoded.EFlags, decoded.SegCs, decoded.MxCsr, decoded.Dr6]).toEqual([
      1n,
      17n,
      18,
      8,
      0x1f80,
      0xffff0ff0n,
    ]);
    // The source is untouched: QEMU writes the contexts for the dump and restores them.
    expect(Buffer.from(await g.read(pieces[0]!.phys, 8))).not.toEqual(ctx.subarray(0, 8));
  });

  it('reads back its own header: LIVE_SYSTEM_DUMP for a guest without a bugcheck, runs as blocks', async () => {
    const { guest: g, facts } = guest({ cpus: 1, kdbg: 'plain', highMemory: true });
    const file = await readWinDump(new MemorySource(await bytesOf(g)));
    expect(file.info.bugcheckCode).toBe(LIVE_SYSTEM_DUMP);
    expect(file.extents.map((e) => e.physAddr / 4096)).toEqual(facts.runs.map((r) => r.basePage));
  });

  it('refuses a run beyond guest memory instead of reading past it', async () => {
    const { guest: g, facts } = guest({ cpus: 1, kdbg: 'plain', highMemory: false });
    const note = g.guestNote!.slice();
    new DataView(note.buffer).setBigUint64(24 + 0x98 + 16 + 8, BigInt(facts.lowMem / 4096), true);
    const bad = { ...g, read: g.read.bind(g), chunks: g.chunks.bind(g), close: g.close.bind(g), guestNote: note };
    await expect(bytesOf(bad)).rejects.toMatchObject({ code: 'VMCORE_OUT_OF_RANGE', message: expect.stringContaining('run 1') });
  });
});
