import { describe, expect, it } from 'vitest';
import { NT_PRSTATUS } from '@vmcore/bytes';
import { readElfNotes, referenceGuest, type GuestArch } from '@vmcore/qemu-guest';
import { archByName, NT_ARM_SVE, summarizeCpus, type ElfNote } from '../src/index.js';

/**
 * The CPU notes of QEMU 7.2's own dumps of the real guests, read the way `vmcore info` reads them
 * (summarizeCpus: every register of every note the layer knows) and encoded back by the same
 * architecture's codec: the bytes must be QEMU's. aarch64 `-cpu max` also writes an SVE note,
 * whose data follows its registers: it is left out and building it is refused.
 */
const GUESTS: ReadonlyArray<{ arch: Extract<GuestArch, 'aarch64' | 's390x'>; endian: 'le' | 'be'; notesPerCpu: number }> = [
  { arch: 'aarch64', endian: 'le', notesPerCpu: 3 },
  { arch: 's390x', endian: 'be', notesPerCpu: 10 },
];

describe.each(GUESTS)("CPU notes of QEMU's $arch dump encode back to QEMU's bytes", ({ arch, endian, notesPerCpu }) => {
  it('encode(summarize(notes)) gives the notes back', async () => {
    const ref = await referenceGuest({ arch });
    const all = await readElfNotes(ref.qemuElf);
    const notes: ElfNote[] = all
      .filter((n) => n.name !== 'VMCOREINFO')
      .map((n) => ({ name: n.name, type: n.type, desc: Uint8Array.from(n.desc) }));
    const cpus = notes.filter((n) => n.name === 'CORE' && n.type === NT_PRSTATUS).length;
    expect(cpus).toBe(2);
    expect(notes).toHaveLength(notesPerCpu * cpus);
    const codec = archByName(arch)!.cpu;
    const summaries = summarizeCpus(notes, { arch, endian, elfClass: 64 });
    expect(summaries).toHaveLength(2);
    if (arch === 'aarch64') {
      // SVE: variable size, not rebuilt from registers
      expect(() =>
        codec.encode(
          summaries.map((s) => ({ regs: s.registers })),
          endian,
        ),
      ).toThrow(/sve note has a variable size/);
      const fixed = summaries.map((s) => ({
        regs: Object.fromEntries(Object.entries(s.registers).filter(([k]) => !k.startsWith('sve.'))),
      }));
      const expected = notes.filter((n) => n.type !== NT_ARM_SVE);
      expect(expected).toHaveLength(4);
      expect(codec.encode(fixed, endian)).toEqual(expected);
    } else {
      expect(
        codec.encode(
          summaries.map((s) => ({ regs: s.registers })),
          endian,
        ),
      ).toEqual(notes);
      // the pid as QEMU 7.2 writes it (host order inside the big-endian note), from CpuRegisters.pid too
      const withPid = summaries.map((s, i) => ({
        pid: i + 1,
        regs: Object.fromEntries(Object.entries(s.registers).filter(([k]) => k !== 'pid_raw')),
      }));
      expect(codec.encode(withPid, endian)).toEqual(notes);
    }
  }, 1_800_000);

  it('refuses registers no note holds', () => {
    const codec = archByName(arch)!.cpu;
    expect(() => codec.encode([{ regs: { 'nosuch.r0': 1n } }], endian)).toThrow(/no note holds register\(s\) nosuch\.r0/);
  });
});
