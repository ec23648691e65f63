import type { FieldList } from '@vmcore/bytes';
import { NT_PRSTATUS, registerFields, registerNoteLayout, type RegisterNoteLayout } from './register-note.js';
import { archWithoutPageTables } from './without-page-tables.js';
import { registerNoteCodec } from './register-arch.js';
import { belowNumber } from './kernel-address.js';

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

/** ELF e_machine (include/uapi/linux/elf-em.h). */
export const EM_RISCV = 243;

/** target/riscv/arch_dump.c: riscv64 (RISCV32 layouts for ELFCLASS32 dumps of riscv32). */
export const RISCV64 = archWithoutPageTables({
  name: 'riscv64',
  machine: EM_RISCV,
  elfClass: 64,
  endians: ['le'],
  pageSize: 4096,
  names: { uts: () => 'riscv64', utsAliases: ['riscv64'], libkdumpfile: 'riscv64' },
  cpu: registerNoteCodec({
    arch: 'riscv64',
    layouts: (elfClass) => (elfClass === 32 ? RISCV32_NOTE_LAYOUTS : RISCV64_NOTE_LAYOUTS),
    pc: 'pc',
    sp: 'x2',
  }),
  kernel: {
    noPhysBase: true,
    // __pa_symbol(): virt − va_kernel_pa_offset
    imageVirtToPhys: belowNumber('va_kernel_pa_offset'),
    // the linear map [PAGE_OFFSET, image) at phys_ram_base; the image above it
    linearVirtToPhys: (virt, physBase, info) => {
      const pageOffset = info.numbers.get('PAGE_OFFSET');
      const ramBase = info.numbers.get('phys_ram_base');
      const image = info.numbers.get('KERNEL_LINK_ADDR');
      if (
        pageOffset !== undefined &&
        ramBase !== undefined &&
        virt >= BigInt.asUintN(64, pageOffset) &&
        (image === undefined || virt < BigInt.asUintN(64, image))
      ) {
        return virt - BigInt.asUintN(64, pageOffset) + BigInt.asUintN(64, ramBase);
      }
      return belowNumber('va_kernel_pa_offset')(virt, physBase, info);
    },
    ownsVmcoreinfo: (info) => info.numbers.has('va_kernel_pa_offset'),
    debianFlavours: /-riscv64$/,
  },
});
