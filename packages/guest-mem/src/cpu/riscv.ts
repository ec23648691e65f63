import type { FieldList } from '@vmcore/bytes';
import { NT_PRSTATUS, registerFields, registerNoteLayout, type RegisterNoteLayout } from './register-note.js';

/** riscv64_elf_prstatus (target/riscv/arch_dump.c): pad1[32], pr_pid, pad2[76], pc, x1..x31, pad3[8]: 376 bytes. */
export const RISCV64_PRSTATUS = registerNoteLayout('prstatus', 'CORE', NT_PRSTATUS, 'riscv64_elf_prstatus', [
  ['pad1', { bytes: 32 }],
  ['pid', 'u32'],
  ['pad2', { bytes: 76 }],
  ['pc', 'u64'],
  ...registerFields('x', 31, 'u64', 1),
  ['pad3', { bytes: 8 }],
] as FieldList);

/** riscv32_elf_prstatus: pad1[24], pr_pid, pad2[44], pc, x1..x31, pad3[4]: 204 bytes. */
export const RISCV32_PRSTATUS = registerNoteLayout('prstatus', 'CORE', NT_PRSTATUS, 'riscv32_elf_prstatus', [
  ['pad1', { bytes: 24 }],
  ['pid', 'u32'],
  ['pad2', { bytes: 44 }],
  ['pc', 'u32'],
  ...registerFields('x', 31, 'u32', 1),
  ['pad3', { bytes: 4 }],
] as FieldList);

export const RISCV64_NOTE_LAYOUTS: readonly RegisterNoteLayout[] = [RISCV64_PRSTATUS];
export const RISCV32_NOTE_LAYOUTS: readonly RegisterNoteLayout[] = [RISCV32_PRSTATUS];
