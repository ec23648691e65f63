import { identityOnlyArch } from './identity-only.js';

/** ELF e_machine values (include/uapi/linux/elf-em.h) of the architectures known by identity. */
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_AARCH64 = 183;

/** target/arm/arch_dump.c: the dump page size is the largest the guest may use, 64 KiB. */
export const AARCH64 = identityOnlyArch({
  name: 'aarch64',
  machine: EM_AARCH64,
  elfClass: 64,
  endians: ['le'],
  pageSize: 0x10000,
  names: { uts: () => 'aarch64', utsAliases: ['aarch64', 'arm64'], libkdumpfile: 'aarch64' },
  // arch/arm64/kernel/crash_core.c: vmcoreinfo_append_str("NUMBER(PHYS_OFFSET)=0x%llx\n", ...)
  kernel: { physBaseKey: 'PHYS_OFFSET' },
});

/** target/ppc/arch_dump.c: pseries uses 64 KiB pages; both byte orders exist (ppc64le first). */
export const PPC64 = identityOnlyArch({
  name: 'ppc64',
  machine: EM_PPC64,
  elfClass: 64,
  endians: ['le', 'be'],
  pageSize: 0x10000,
  names: { uts: (endian) => (endian === 'le' ? 'ppc64le' : 'ppc64'), utsAliases: ['ppc64', 'ppc64le'], libkdumpfile: 'ppc64' },
});

export const S390X = identityOnlyArch({
  name: 's390x',
  machine: EM_S390,
  elfClass: 64,
  endians: ['be'],
  pageSize: 4096,
  names: { uts: () => 's390x', utsAliases: ['s390x'], libkdumpfile: 's390x' },
});
