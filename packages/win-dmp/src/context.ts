import { defineStruct } from '@vmcore/bytes';

/** WIN_CTX_* ContextFlags bits from QEMU's win_dump_defs.h. */
export const WIN_CTX_X64 = 0x00100000;
export const WIN_CTX_X86 = 0x00010000;
export const WIN_CTX_CTL = 0x1;
export const WIN_CTX_INT = 0x2;
export const WIN_CTX_SEG = 0x4;
export const WIN_CTX_FP = 0x8;
export const WIN_CTX_DBG = 0x10;
export const WIN_CTX64_ALL = WIN_CTX_X64 | WIN_CTX_CTL | WIN_CTX_INT | WIN_CTX_FP | WIN_CTX_SEG | WIN_CTX_DBG;
export const WIN_CTX32_FULL_DBG = WIN_CTX_X86 | WIN_CTX_CTL | WIN_CTX_INT | WIN_CTX_SEG | WIN_CTX_DBG;

/** WinContext64 (the x64 CONTEXT, 1232 bytes, 16-byte aligned). */
export const WIN_CONTEXT64 = defineStruct('WinContext64', [
  ['PHome', { bytes: 48 }],
  ['ContextFlags', 'u32'],
  ['MxCsr', 'u32'],
  ['SegCs', 'u16'],
  ['SegDs', 'u16'],
  ['SegEs', 'u16'],
  ['SegFs', 'u16'],
  ['SegGs', 'u16'],
  ['SegSs', 'u16'],
  ['EFlags', 'u32'],
  ['Dr0', 'u64'],
  ['Dr1', 'u64'],
  ['Dr2', 'u64'],
  ['Dr3', 'u64'],
  ['Dr6', 'u64'],
  ['Dr7', 'u64'],
  ['Rax', 'u64'],
  ['Rcx', 'u64'],
  ['Rdx', 'u64'],
  ['Rbx', 'u64'],
  ['Rsp', 'u64'],
  ['Rbp', 'u64'],
  ['Rsi', 'u64'],
  ['Rdi', 'u64'],
  ['R8', 'u64'],
  ['R9', 'u64'],
  ['R10', 'u64'],
  ['R11', 'u64'],
  ['R12', 'u64'],
  ['R13', 'u64'],
  ['R14', 'u64'],
  ['R15', 'u64'],
  ['Rip', 'u64'],
  // FltSave (XMM_SAVE_AREA32): QEMU sets only its MxCsr.
  ['FltSaveHead', { bytes: 24 }],
  ['FltSaveMxCsr', 'u32'],
  ['FltSaveRest', { bytes: 484 }],
  ['VectorRegister', { bytes: 26 * 16 }],
  ['VectorControl', 'u64'],
  ['DebugControl', 'u64'],
  ['LastBranchToRip', 'u64'],
  ['LastBranchFromRip', 'u64'],
  ['LastExceptionToRip', 'u64'],
  ['LastExceptionFromRip', 'u64'],
] as const);

/** WinContext32 (the x86 CONTEXT: 716 bytes, padded to 720 by its 16-byte alignment). */
export const WIN_CONTEXT32 = defineStruct('WinContext32', [
  ['ContextFlags', 'u32'],
  ['Dr0', 'u32'],
  ['Dr1', 'u32'],
  ['Dr2', 'u32'],
  ['Dr3', 'u32'],
  ['Dr6', 'u32'],
  ['Dr7', 'u32'],
  ['FloatSave', { bytes: 112 }],
  ['SegGs', 'u32'],
  ['SegFs', 'u32'],
  ['SegEs', 'u32'],
  ['SegDs', 'u32'],
  ['Edi', 'u32'],
  ['Esi', 'u32'],
  ['Ebx', 'u32'],
  ['Edx', 'u32'],
  ['Ecx', 'u32'],
  ['Eax', 'u32'],
  ['Ebp', 'u32'],
  ['Eip', 'u32'],
  ['SegCs', 'u32'],
  ['EFlags', 'u32'],
  ['Esp', 'u32'],
  ['SegSs', 'u32'],
  ['ExtendedRegisters', { bytes: 512 }],
  ['alignment', { bytes: 4 }],
] as const);

/**
 * What QEMU's patch_and_save_context() takes from a CPU (CPUX86State): general registers, rip,
 * eflags as cpu_compute_eflags() gives it, segment selectors, MXCSR and the debug registers.
 */
export interface WinCpuState {
  readonly regs: {
    readonly rax: bigint;
    readonly rbx: bigint;
    readonly rcx: bigint;
    readonly rdx: bigint;
    readonly rsp: bigint;
    readonly rbp: bigint;
    readonly rsi: bigint;
    readonly rdi: bigint;
    readonly r8: bigint;
    readonly r9: bigint;
    readonly r10: bigint;
    readonly r11: bigint;
    readonly r12: bigint;
    readonly r13: bigint;
    readonly r14: bigint;
    readonly r15: bigint;
  };
  readonly rip: bigint;
  readonly eflags: bigint;
  /** Selectors of es, cs, ss, ds, fs, gs. */
  readonly segments: {
    readonly es: number;
    readonly cs: number;
    readonly ss: number;
    readonly ds: number;
    readonly fs: number;
    readonly gs: number;
  };
  readonly mxcsr: number;
  /** dr[0..7]; QEMU uses 0-3, 6 and 7. */
  readonly dr: readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  /** CR0, CR4 and whether EFER.LMA is set: how QEMU translates virtual addresses on this CPU. */
  readonly cr0: bigint;
  readonly cr3: bigint;
  readonly cr4: bigint;
  readonly longMode: boolean;
}

const u32 = (value: bigint) => Number(value & 0xffffffffn);

/** The CONTEXT QEMU writes over the guest's for this CPU (every other byte zero). */
export function encodeWinContext(cpu: WinCpuState, x64: boolean): Uint8Array {
  const r = cpu.regs;
  const s = cpu.segments;
  if (x64) {
    return WIN_CONTEXT64.encode(
      {
        ContextFlags: WIN_CTX64_ALL,
        MxCsr: cpu.mxcsr,
        SegEs: s.es,
        SegCs: s.cs,
        SegSs: s.ss,
        SegDs: s.ds,
        SegFs: s.fs,
        SegGs: s.gs,
        EFlags: u32(cpu.eflags),
        Dr0: cpu.dr[0],
        Dr1: cpu.dr[1],
        Dr2: cpu.dr[2],
        Dr3: cpu.dr[3],
        Dr6: cpu.dr[6],
        Dr7: cpu.dr[7],
        Rax: r.rax,
        Rbx: r.rbx,
        Rcx: r.rcx,
        Rdx: r.rdx,
        Rsp: r.rsp,
        Rbp: r.rbp,
        Rsi: r.rsi,
        Rdi: r.rdi,
        R8: r.r8,
        R9: r.r9,
        R10: r.r10,
        R11: r.r11,
        R12: r.r12,
        R13: r.r13,
        R14: r.r14,
        R15: r.r15,
        Rip: cpu.rip,
        FltSaveMxCsr: cpu.mxcsr,
      },
      'le',
    );
  }
  return WIN_CONTEXT32.encode(
    {
      ContextFlags: WIN_CTX32_FULL_DBG,
      SegEs: s.es,
      SegCs: s.cs,
      SegSs: s.ss,
      SegDs: s.ds,
      SegFs: s.fs,
      SegGs: s.gs,
      EFlags: u32(cpu.eflags),
      Dr0: u32(cpu.dr[0]),
      Dr1: u32(cpu.dr[1]),
      Dr2: u32(cpu.dr[2]),
      Dr3: u32(cpu.dr[3]),
      Dr6: u32(cpu.dr[6]),
      Dr7: u32(cpu.dr[7]),
      Eax: u32(r.rax),
      Ebx: u32(r.rbx),
      Ecx: u32(r.rcx),
      Edx: u32(r.rdx),
      Esp: u32(r.rsp),
      Ebp: u32(r.rbp),
      Esi: u32(r.rsi),
      Edi: u32(r.rdi),
      Eip: u32(cpu.rip),
    },
    'le',
  );
}
