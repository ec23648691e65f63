import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { decodeQemuCpuState, type GuestMemory } from '@vmcore/guest-mem';
import type { WinCpuState } from './context.js';

/**
 * What QEMU's dump notes do not carry but patch_and_save_context() writes: MXCSR and the debug
 * registers. The defaults are the x86 reset values (x86_cpu_reset: MXCSR 0x1f80, DR6
 * 0xffff0ff0, DR7 0x400), right for any CPU that never changed them.
 */
export interface WinCpuExtras {
  readonly mxcsr?: number;
  readonly dr?: readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
}

export const RESET_MXCSR = 0x1f80;
export const RESET_DR = [0n, 0n, 0n, 0n, 0n, 0n, 0xffff0ff0n, 0x400n] as const;

/**
 * Every CPU's state from the guest's "QEMU" notes (QEMUCPUState), in CPU order. Long mode is
 * what QEMU's ELF says for the first CPU (EM_X86_64 iff its EFER.LMA was set); the other CPUs'
 * modes do not matter to the dump.
 */
export function winCpusFromGuest(guest: Pick<GuestMemory, 'info' | 'cpuNotes'>, extras: readonly WinCpuExtras[] = []): WinCpuState[] {
  const notes = guest.cpuNotes.filter((note) => note.name === 'QEMU' && note.type === 0);
  if (notes.length === 0) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      'win-dmp: the guest has no "QEMU" CPU notes; the CPU state (page-table mode, registers) is needed for a Windows dump',
    );
  }
  return notes.map((note, index) => {
    const state = decodeQemuCpuState(note.desc, guest.info.endian);
    const extra = extras[index] ?? extras[0] ?? {};
    const r = state.regs;
    const s = state.segments;
    return {
      regs: {
        rax: r.rax,
        rbx: r.rbx,
        rcx: r.rcx,
        rdx: r.rdx,
        rsp: r.rsp,
        rbp: r.rbp,
        rsi: r.rsi,
        rdi: r.rdi,
        r8: r.r8,
        r9: r.r9,
        r10: r.r10,
        r11: r.r11,
        r12: r.r12,
        r13: r.r13,
        r14: r.r14,
        r15: r.r15,
      },
      rip: r.rip,
      eflags: r.rflags,
      segments: { es: s.es.selector, cs: s.cs.selector, ss: s.ss.selector, ds: s.ds.selector, fs: s.fs.selector, gs: s.gs.selector },
      mxcsr: extra.mxcsr ?? RESET_MXCSR,
      dr: extra.dr ?? RESET_DR,
      cr0: state.cr[0],
      cr3: state.cr[3],
      cr4: state.cr[4],
      longMode: index === 0 ? guest.info.arch === 'x86_64' : ((s.cs.flags >> 21) & 1) === 1,
    };
  });
}
