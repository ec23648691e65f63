import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  archByName,
  AARCH64_FPSIMD,
  AARCH64_PRSTATUS,
  AARCH64_SVE_HEADER,
  ARM_PRSTATUS,
  ARM_VFP,
  LOONGARCH64_FPU,
  LOONGARCH64_PRSTATUS,
  NT_ARM_SVE,
  NT_PRFPREG,
  NT_S390_CTRS,
  PPC64_FPREGSET,
  PPC64_PRSTATUS,
  PPC64_SPE,
  PPC64_VMX,
  PPC64_VSX,
  RISCV32_PRSTATUS,
  RISCV64_PRSTATUS,
  S390X_CTRS,
  S390X_FPREGSET,
  S390X_GS_CB,
  S390X_NOTE_LAYOUTS,
  S390X_PRSTATUS,
  S390X_VXRS_HIGH,
  S390X_VXRS_LOW,
  aarch64SveNoteSize,
  cpuNoteLayouts,
  decodeRegisterNote,
  encodeRegisterNote,
  groupCpuNotes,
  summarizeCpus,
  type ElfNote,
  type RegisterNoteLayout,
} from '../src/index.js';

const endian = fc.constantFrom('le' as const, 'be' as const);

describe('CPU note layouts of the other QEMU targets (target/*/arch_dump.c)', () => {
  it('has the sizes QEMU_BUILD_BUG_ON and the C structs give', () => {
    const sizes: Array<[RegisterNoteLayout, number]> = [
      [AARCH64_PRSTATUS, 392],
      [AARCH64_FPSIMD, 528],
      [AARCH64_SVE_HEADER, 16],
      [ARM_PRSTATUS, 148],
      [ARM_VFP, 260],
      [S390X_PRSTATUS, 336],
      [S390X_FPREGSET, 136],
      [S390X_CTRS, 128],
      [S390X_VXRS_LOW, 128],
      [S390X_VXRS_HIGH, 256],
      [S390X_GS_CB, 32],
      [PPC64_PRSTATUS, 504],
      [PPC64_FPREGSET, 264],
      [PPC64_VMX, 544],
      [PPC64_VSX, 256],
      [PPC64_SPE, 140],
      [RISCV64_PRSTATUS, 376],
      [RISCV32_PRSTATUS, 204],
      [LOONGARCH64_PRSTATUS, 480],
      [LOONGARCH64_FPU, 268],
    ];
    for (const [layout, size] of sizes) expect(layout.struct.size, layout.struct.name).toBe(size);
  });

  it('puts the registers where QEMU writes them: aarch64 x0 at +112, sp/pc/pstate after x30; riscv64 pc at +112', () => {
    expect(AARCH64_PRSTATUS.struct.offsets['pid' as never]).toBe(32);
    expect(AARCH64_PRSTATUS.struct.offsets['x0' as never]).toBe(112);
    expect(AARCH64_PRSTATUS.struct.offsets['pc' as never]).toBe(112 + 32 * 8);
    expect(RISCV64_PRSTATUS.struct.offsets['pc' as never]).toBe(112);
    expect(PPC64_PRSTATUS.struct.offsets['nip' as never]).toBe(112 + 32 * 8);
    expect(S390X_PRSTATUS.struct.offsets['psw_addr' as never]).toBe(120);
    expect(ARM_PRSTATUS.struct.offsets['r0' as never]).toBe(72);
    expect(LOONGARCH64_PRSTATUS.struct.offsets['csr_era' as never]).toBe(112 + 33 * 8);
  });

  it('sizes the aarch64 SVE note as sve_size_vq(): 2224 bytes for 512-bit vectors, 8768 for 2048-bit', () => {
    // measured: QEMU 7.2 -cpu max writes size 0x8b0 (vl 64) and max_size 0x2240 (max_vl 256)
    expect(aarch64SveNoteSize(4)).toBe(0x8b0);
    expect(aarch64SveNoteSize(16)).toBe(0x2240);
  });

  it('decodes what it encodes, in both byte orders', () => {
    const layouts = [
      AARCH64_PRSTATUS,
      AARCH64_FPSIMD,
      S390X_PRSTATUS,
      S390X_CTRS,
      PPC64_PRSTATUS,
      PPC64_VMX,
      RISCV64_PRSTATUS,
      ARM_PRSTATUS,
      LOONGARCH64_PRSTATUS,
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...layouts),
        endian,
        fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 80, maxLength: 80 }),
        (layout, e, values) => {
          const input = Object.fromEntries(
            layout.registers.map((name, i) => [
              name,
              layout.wide.has(name) ? values[i % values.length]! : values[i % values.length]! & 0xffffffffn,
            ]),
          );
          const desc = encodeRegisterNote(layout, input, e);
          expect(desc.length).toBe(layout.struct.size);
          expect(decodeRegisterNote(layout, desc, e)).toEqual(input);
        },
      ),
    );
  });

  it('builds every fixed-size note of each non-x86 codec back from what summarize reads (arm, ppc64, riscv64, loongarch64, aarch64, s390x)', () => {
    // aarch64 and s390x are also checked against QEMU's own notes of the real guests (cpu-notes-roundtrip.e2e)
    fc.assert(
      fc.property(
        fc.constantFrom('arm', 'ppc64', 'riscv64', 'loongarch64', 'aarch64', 's390x'),
        endian,
        fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 97, maxLength: 97 }),
        (name, e, values) => {
          const arch = archByName(name)!;
          const elfClass = arch.elfClass;
          const layouts = arch.cpu.layouts!(elfClass).filter((l) => !l.variable);
          const regs: Record<string, bigint> = {};
          layouts.forEach((layout, li) =>
            layout.registers.forEach((reg, i) => {
              const v = values[(li * 31 + i) % values.length]!;
              regs[(li === 0 ? '' : `${layout.label}.`) + reg] = layout.wide.has(reg) ? v : v & 0xffffffffn;
            }),
          );
          const notes = arch.cpu.encode([{ regs }, { regs }], e, elfClass);
          expect(notes).toHaveLength(2 * layouts.length);
          expect(notes.map((n) => n.desc.length)).toEqual([...layouts, ...layouts].map((l) => l.struct.size));
          const again = arch.cpu.encode(
            arch.cpu.summarize(notes, e, elfClass).map((cpu) => ({ regs: cpu.registers })),
            e,
            elfClass,
          );
          expect(again).toEqual(notes);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a descriptor of the wrong size, naming the note and the size expected', () => {
    expect(() => decodeRegisterNote(AARCH64_PRSTATUS, new Uint8Array(391), 'le')).toThrow(/prstatus .*391 bytes, expected 392/);
  });
});

function note(name: string, type: number, desc: Uint8Array): ElfNote {
  return { name, type, desc };
}

describe('summarizeCpus', () => {
  it('gives pc, sp and the registers of each aarch64 CPU from PRSTATUS, FPSIMD and SVE notes', () => {
    const cpus = [0, 1].flatMap((i) => [
      note(
        'CORE',
        1,
        encodeRegisterNote(AARCH64_PRSTATUS, { pid: i + 1, pc: 0xffff800008001000n + BigInt(i), sp: 0xffff80000a00ff00n, x0: 7n }, 'le'),
      ),
      note('CORE', NT_PRFPREG, encodeRegisterNote(AARCH64_FPSIMD, { fpsr: 0x10, fpcr: 0x20 }, 'le')),
      note('LINUX', NT_ARM_SVE, new Uint8Array(aarch64SveNoteSize(4))),
    ]);
    const s = summarizeCpus(cpus, { arch: 'aarch64', endian: 'le', elfClass: 64 });
    expect(s).toHaveLength(2);
    expect(s[1]).toMatchObject({ cpu: 1, pid: 2, pc: 0xffff800008001001n, sp: 0xffff80000a00ff00n, notes: ['prstatus', 'fpsimd', 'sve'] });
    expect(s[0]!.registers['fpsimd.fpcr']).toBe(0x20n);
    expect(s[0]!.pageTableBase).toBeUndefined();
  });

  it("takes the s390x page-table origin from control register 1 and reads QEMU 7.2's host-order pid", () => {
    const prstatus = encodeRegisterNote(S390X_PRSTATUS, { psw_addr: 0x1234560n, r15: 0xfff000n }, 'be');
    new DataView(prstatus.buffer).setUint32(32, 2, true); // QEMU 7.2 stores pid without cpu_to_be32
    const notes = [
      note('CORE', 1, prstatus),
      note('CORE', NT_PRFPREG, encodeRegisterNote(S390X_FPREGSET, {}, 'be')),
      note('LINUX', NT_S390_CTRS, encodeRegisterNote(S390X_CTRS, { c1: 0x1d0c007n }, 'be')),
    ];
    const [cpu] = summarizeCpus(notes, { arch: 's390x', endian: 'be', elfClass: 64 });
    expect(cpu).toMatchObject({
      pid: 2,
      pc: 0x1234560n,
      sp: 0xfff000n,
      pageTableBase: { value: 0x1d0c000n, register: 'c1 (primary ASCE)' },
    });
    expect(S390X_NOTE_LAYOUTS.map((l) => l.label)).toEqual([
      'prstatus',
      'fpregset',
      'prefix',
      'ctrs',
      'timer',
      'todcmp',
      'todpreg',
      'vxrs_low',
      'vxrs_high',
      'gs_cb',
    ]);
  });

  it('pairs x86 QEMU notes with CPUs by position, as QEMU writes all CORE notes first', () => {
    const groups = groupCpuNotes([
      note('CORE', 1, new Uint8Array(336)),
      note('CORE', 1, new Uint8Array(336)),
      note('QEMU', 0, new Uint8Array(440)),
      note('QEMU', 0, new Uint8Array(440)),
    ]);
    expect(groups.map((g) => g.map((n) => n.name))).toEqual([
      ['CORE', 'QEMU'],
      ['CORE', 'QEMU'],
    ]);
  });

  it('lists notes it does not know by name/type instead of guessing', () => {
    const [cpu] = summarizeCpus(
      [
        note('CORE', 1, encodeRegisterNote(RISCV64_PRSTATUS, { pc: 0x80200000n, x2: 0x80400000n }, 'le')),
        note('LINUX', 0x999, new Uint8Array(4)),
      ],
      { arch: 'riscv64', endian: 'le', elfClass: 64 },
    );
    expect(cpu).toMatchObject({ pc: 0x80200000n, sp: 0x80400000n, notes: ['prstatus', 'LINUX/2457'] });
    expect(cpuNoteLayouts('unknown', 64)).toEqual([]);
  });
});
