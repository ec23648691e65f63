import type { Arch, DumpInfo, PhysBlock } from './model.js';

/** ELF e_machine values QEMU's cpu_get_dump_info() uses. */
export const EM_386 = 3;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

/** What QEMU decides for an x86_64 guest in long mode. */
export const X86_64_DUMP_INFO: DumpInfo = Object.freeze({
  elfClass: 64,
  endian: 'le',
  machine: EM_X86_64,
  arch: 'x86_64',
  pageSize: 4096,
});

/**
 * target/i386/arch_dump.c cpu_get_dump_info(): EM_X86_64/ELFCLASS64 when the first CPU is in
 * long mode; otherwise EM_386, ELFCLASS32 unless some block ends beyond 0xffffffff (a block
 * ending exactly at 4 GiB, like pc.bios at 0xfffc0000, already makes it ELFCLASS64).
 */
export function x86DumpInfo(options: { longMode: boolean; blocks: readonly PhysBlock[] }): DumpInfo {
  if (options.longMode) return X86_64_DUMP_INFO;
  const above4g = options.blocks.some((block) => block.start + block.size > 0xffffffff);
  return Object.freeze({ elfClass: above4g ? 64 : 32, endian: 'le', machine: EM_386, arch: 'i386', pageSize: 4096 });
}

/** The architecture name for an ELF e_machine (everything unknown keeps opaque notes). */
export function archFromMachine(machine: number): Arch {
  switch (machine) {
    case EM_X86_64: return 'x86_64';
    case EM_386: return 'i386';
    case EM_AARCH64: return 'aarch64';
    case EM_PPC64: return 'ppc64';
    case EM_S390: return 's390x';
    default: return 'unknown';
  }
}

/**
 * QEMU's dump page size per architecture: the maximum where it varies (aarch64 and pseries
 * ppc64 use 64 KiB, target/arm and target/ppc arch_dump.c); 4 KiB otherwise.
 */
export function defaultPageSize(arch: Arch): number {
  return arch === 'ppc64' || arch === 'aarch64' ? 0x10000 : 4096;
}

/**
 * What QEMU's cpu_get_dump_info() decides for a guest of `arch` whose CPUs we cannot ask (a raw
 * RAM file without notes): the byte order its kernel runs in and QEMU's dump page size. i386
 * follows x86DumpInfo (ELFCLASS64 once a block ends beyond 4 GiB); ppc64 is written big-endian
 * as QEMU 7.2 writes pseries dumps. Undefined for names QEMU's targets do not use.
 */
export function dumpInfoForArch(arch: string, blocks: readonly PhysBlock[] = []): DumpInfo | undefined {
  switch (arch) {
    case 'x86_64': return X86_64_DUMP_INFO;
    case 'i386': return x86DumpInfo({ longMode: false, blocks });
    case 'aarch64': return Object.freeze({ elfClass: 64, endian: 'le', machine: EM_AARCH64, arch: 'aarch64', pageSize: defaultPageSize('aarch64') });
    case 's390x': return Object.freeze({ elfClass: 64, endian: 'be', machine: EM_S390, arch: 's390x', pageSize: 4096 });
    case 'ppc64': return Object.freeze({ elfClass: 64, endian: 'be', machine: EM_PPC64, arch: 'ppc64', pageSize: defaultPageSize('ppc64') });
    default: return undefined;
  }
}
