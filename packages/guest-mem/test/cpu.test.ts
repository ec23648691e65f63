import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  I386_PRSTATUS,
  QEMU_CPU_SEGMENT,
  QEMU_CPU_STATE,
  QEMU_SEGMENTS,
  X86_64_PRSTATUS,
  X86_64_REGISTERS,
  I386_REGISTERS,
  decodeCpuNote,
  decodeI386Prstatus,
  decodeQemuCpuState,
  decodeX86_64Prstatus,
  encodeI386Prstatus,
  encodeQemuCpuState,
  encodeX86_64Prstatus,
  x86CpuNotes,
  type QemuCpuState,
} from '../src/index.js';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const endian = fc.constantFrom('le' as const, 'be' as const);

const segment = fc.record({ selector: u32, limit: u32, flags: u32, base: u64 });
const qemuState = fc.record({
  regs: fc.record(
    Object.fromEntries(
      ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags'].map(
        (r) => [r, u64],
      ),
    ),
  ),
  segments: fc.record(Object.fromEntries(QEMU_SEGMENTS.map((s) => [s, segment]))),
  cr: fc.tuple(u64, u64, u64, u64, u64),
  kernelGsBase: u64,
}) as unknown as fc.Arbitrary<Omit<QemuCpuState, 'version' | 'size'>>;

describe('x86 CPU note layouts (target/i386/arch_dump.c)', () => {
  it('has the C sizes: prstatus 336 / 144, QEMUCPUState 440, segment 24', () => {
    expect(X86_64_PRSTATUS.size).toBe(336);
    expect(I386_PRSTATUS.size).toBe(144);
    expect(QEMU_CPU_STATE.size).toBe(440);
    expect(QEMU_CPU_SEGMENT.size).toBe(24);
  });

  it('puts pr_pid at +32 and r15…gs (27 × u64) at +112 in the x86_64 prstatus', () => {
    expect(X86_64_PRSTATUS.offsets.pid).toBe(32);
    expect(X86_64_REGISTERS).toHaveLength(27);
    expect(X86_64_PRSTATUS.offsets.r15).toBe(112);
    expect(X86_64_PRSTATUS.offsets.orig_rax).toBe(112 + 15 * 8);
    expect(X86_64_PRSTATUS.offsets.rip).toBe(112 + 16 * 8);
    expect(X86_64_PRSTATUS.offsets.gs).toBe(112 + 26 * 8);
    const bytes = encodeX86_64Prstatus({ pid: 2, regs: { r15: 0x1122334455667788n, gs: 0x2bn } });
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(32, true)).toBe(2);
    expect(view.getBigUint64(112, true)).toBe(0x1122334455667788n);
    expect(view.getBigUint64(320, true)).toBe(0x2bn);
  });

  it('puts the i386 pid at +24 and ebx at +72, eip at +112', () => {
    expect(I386_PRSTATUS.offsets.pid).toBe(24);
    expect(I386_PRSTATUS.offsets.ebx).toBe(72);
    expect(I386_PRSTATUS.offsets.eip).toBe(72 + 28 + 16 + 4);
    expect(I386_PRSTATUS.offsets.ss).toBe(136);
  });

  it('lays QEMUCPUState out as version, size, rax…r15, rip, rflags, 10 segments, cr[5], kernel_gs_base', () => {
    expect(QEMU_CPU_STATE.offsets.rax).toBe(8);
    expect(QEMU_CPU_STATE.offsets.r15).toBe(8 + 15 * 8);
    expect(QEMU_CPU_STATE.offsets.rip).toBe(136);
    expect(QEMU_CPU_STATE.offsets.cs).toBe(152);
    expect(QEMU_CPU_STATE.offsets.idt).toBe(152 + 9 * 24);
    expect(QEMU_CPU_STATE.offsets.cr0).toBe(392);
    expect(QEMU_CPU_STATE.offsets.kernel_gs_base).toBe(432);
  });

  it('round-trips x86_64 prstatus through encode/decode', () => {
    fc.assert(
      fc.property(u32, fc.record(Object.fromEntries(X86_64_REGISTERS.map((r) => [r, u64]))), endian, (pid, regs, e) => {
        const decoded = decodeX86_64Prstatus(encodeX86_64Prstatus({ pid, regs: regs as never }, e), e);
        expect(decoded.pid).toBe(pid);
        expect(decoded.regs).toEqual(regs);
      }),
    );
  });

  it('round-trips i386 prstatus through encode/decode', () => {
    const regs = fc.record(
      Object.fromEntries(I386_REGISTERS.map((r) => [r, ['ds', 'es', 'fs', 'gs', 'cs', 'ss'].includes(r) ? u16 : u32])),
    );
    fc.assert(
      fc.property(u32, regs, endian, (pid, r, e) => {
        const decoded = decodeI386Prstatus(encodeI386Prstatus({ pid, regs: r as never }, e), e);
        expect(decoded.pid).toBe(pid);
        expect(decoded.regs).toEqual(r);
      }),
    );
  });

  it('round-trips QEMUCPUState through encode/decode and writes version 1, size 440', () => {
    fc.assert(
      fc.property(qemuState, endian, (state, e) => {
        const bytes = encodeQemuCpuState(state, e);
        const decoded = decodeQemuCpuState(bytes, e);
        expect(decoded).toEqual({ version: 1, size: 440, ...state });
      }),
    );
  });

  it('reads the 432-byte QEMUCPUState of older QEMU without kernel_gs_base', () => {
    const bytes = encodeQemuCpuState({
      regs: {} as never,
      segments: Object.fromEntries(QEMU_SEGMENTS.map((s) => [s, { selector: 0, limit: 0, flags: 0, base: 0n }])) as never,
      cr: [1n, 2n, 3n, 4n, 5n],
      size: 432,
    });
    const decoded = decodeQemuCpuState(bytes.subarray(0, 432));
    expect(decoded.cr).toEqual([1n, 2n, 3n, 4n, 5n]);
    expect(decoded.kernelGsBase).toBeUndefined();
  });

  it('rejects descriptors of the wrong size with VMCORE_CORRUPT', () => {
    expect(() => decodeX86_64Prstatus(new Uint8Array(335))).toThrow(expect.objectContaining({ code: 'VMCORE_CORRUPT' }));
    expect(() => decodeQemuCpuState(new Uint8Array(100))).toThrow(expect.objectContaining({ code: 'VMCORE_CORRUPT' }));
  });

  it('orders notes as QEMU does: all CORE notes, then all QEMU notes, and types them', () => {
    const prstatus = encodeX86_64Prstatus({ pid: 1, regs: { rip: 5n } });
    const qemu = encodeQemuCpuState({
      regs: {} as never,
      segments: Object.fromEntries(QEMU_SEGMENTS.map((s) => [s, { selector: 0, limit: 0, flags: 0, base: 0n }])) as never,
      cr: [0n, 0n, 0n, 7n, 0n],
    });
    const notes = x86CpuNotes([
      { prstatus, qemuState: qemu },
      { prstatus, qemuState: qemu },
    ]);
    expect(notes.map((n) => `${n.name}/${n.type}`)).toEqual(['CORE/1', 'CORE/1', 'QEMU/0', 'QEMU/0']);
    const info = { arch: 'x86_64', endian: 'le' as const };
    expect(decodeCpuNote(notes[0]!, info)).toMatchObject({ kind: 'x86_64-prstatus', value: { pid: 1, regs: { rip: 5n } } });
    expect(decodeCpuNote(notes[2]!, info)).toMatchObject({ kind: 'qemu-cpu-state', value: { cr: [0n, 0n, 0n, 7n, 0n] } });
    // aarch64's prstatus is 392 bytes: an x86_64 one (336) is not a note that architecture knows.
    // (s390x's prstatus is 336 bytes too, so s390x now types it as its own prstatus.)
    expect(decodeCpuNote(notes[0]!, { arch: 'aarch64', endian: 'le' }).kind).toBe('opaque');
    expect(decodeCpuNote(notes[0]!, { arch: 'unknown', endian: 'le' }).kind).toBe('opaque');
  });
});
