import { describe, expect, it } from 'vitest';
import {
  KDBG_KI_PROCESSOR_BLOCK_OFFSET,
  VMCOREINFO_WIN_DUMP_NOTE_SIZE32,
  VMCOREINFO_WIN_DUMP_NOTE_SIZE64,
  WIN_CONTEXT32,
  WIN_CONTEXT64,
  WIN_DUMP_HEADER32,
  WIN_DUMP_HEADER64,
} from '../src/index.js';

describe("QEMU's win_dump_defs.h layouts", () => {
  it('has the C sizes: headers 8192 and 4096 bytes, contexts 1232 and 720 (16-byte aligned)', () => {
    expect(WIN_DUMP_HEADER64.size).toBe(0x2000);
    expect(WIN_DUMP_HEADER32.size).toBe(0x1000);
    expect(WIN_CONTEXT64.size).toBe(0x4d0);
    expect(WIN_CONTEXT32.size).toBe(720);
    expect(VMCOREINFO_WIN_DUMP_NOTE_SIZE64).toBe(0x2018);
    expect(VMCOREINFO_WIN_DUMP_NOTE_SIZE32).toBe(0x1018);
    expect(KDBG_KI_PROCESSOR_BLOCK_OFFSET).toBe(0x218n);
  });

  it('puts the 64-bit fields where Windows and QEMU have them', () => {
    const o = WIN_DUMP_HEADER64.offsets;
    expect([o.DirectoryTableBase, o.MachineImageType, o.BugcheckCode, o.KdDebuggerDataBlock, o.NumberOfRuns, o.Runs]).toEqual([
      0x10, 0x30, 0x38, 0x80, 0x88, 0x98,
    ]);
    expect([o.ContextBuffer, o.ExceptionRecord, o.DumpType, o.RequiredDumpSpace, o.SystemTime, o.Comment, o.reserved]).toEqual([
      0x348, 0xf00, 0xf98, 0xfa0, 0xfa8, 0xfb0, 0x104e,
    ]);
    const c = WIN_CONTEXT64.offsets;
    expect([c.ContextFlags, c.SegCs, c.EFlags, c.Dr0, c.Rax, c.Rip, c.FltSaveMxCsr, c.VectorRegister, c.LastExceptionFromRip]).toEqual([
      0x30, 0x38, 0x44, 0x48, 0x78, 0xf8, 0x118, 0x300, 0x4c8,
    ]);
  });

  it('puts the 32-bit fields where QEMU has them', () => {
    const o = WIN_DUMP_HEADER32.offsets;
    expect([
      o.DirectoryTableBase,
      o.NumberProcessors,
      o.BugcheckCode,
      o.KdDebuggerDataBlock,
      o.NumberOfRuns,
      o.Runs,
      o.RequiredDumpSpace,
    ]).toEqual([0x10, 0x24, 0x28, 0x60, 0x64, 0x6c, 0xfa0]);
    const c = WIN_CONTEXT32.offsets;
    expect([c.FloatSave, c.SegGs, c.Edi, c.Ebp, c.Eip, c.SegCs, c.EFlags, c.Esp, c.SegSs, c.ExtendedRegisters]).toEqual([
      0x1c, 0x8c, 0x9c, 0xb4, 0xb8, 0xbc, 0xc0, 0xc4, 0xc8, 0xcc,
    ]);
  });
});
