import type { Vmcoreinfo } from './vmcoreinfo.js';

/** Architecture names as guest-mem spells them, plus those only the CPU-note codecs know. */
export type KernelArch = 'x86_64' | 'i386' | 'aarch64' | 'arm' | 'ppc64' | 's390x' | 'riscv64' | 'loongarch64';

/** Debian kernel flavours (the OSRELEASE suffix) and their architecture. */
const FLAVOURS: ReadonlyArray<readonly [RegExp, KernelArch]> = [
  [/-amd64$|-cloud-amd64$|-rt-amd64$/, 'x86_64'],
  [/-arm64(-16k)?$|-cloud-arm64$|-rt-arm64$/, 'aarch64'],
  [/-686(-pae)?$|-rt-686-pae$/, 'i386'],
  [/-s390x$/, 's390x'],
  [/-powerpc64(le)?$/, 'ppc64'],
  [/-riscv64$/, 'riscv64'],
  [/-armmp(-lpae)?$|-marvell$|-rpi$/, 'arm'],
  [/-loong64$|-loongarch64$/, 'loongarch64'],
];

/**
 * The architecture a VMCOREINFO text comes from, by the keys only that architecture's
 * arch_crash_save_vmcoreinfo() writes (arm64: kimage_voffset; x86_64: phys_base; s390x:
 * SAMODE31/lowcore_ptr; ppc64: mmu_psize_defs/RADIX_MMU; riscv64: va_kernel_pa_offset), then by
 * the Debian flavour suffix of OSRELEASE. Undefined when nothing says.
 */
export function archFromVmcoreinfo(info: Vmcoreinfo): KernelArch | undefined {
  if (info.numbers.has('kimage_voffset')) return 'aarch64';
  if (info.numbers.has('phys_base')) return 'x86_64';
  if (info.symbols.has('lowcore_ptr') || info.entries.some((e) => e.key === 'SAMODE31')) return 's390x';
  if (info.symbols.has('mmu_psize_defs') || info.numbers.has('RADIX_MMU')) return 'ppc64';
  if (info.numbers.has('va_kernel_pa_offset')) return 'riscv64';
  if (info.configs.has('X86_PAE')) return 'i386';
  const release = info.osrelease ?? '';
  return FLAVOURS.find(([re]) => re.test(release))?.[1];
}

/** x86_64 __START_KERNEL_map. */
const X86_64_START_KERNEL_MAP = 0xffffffff80000000n;
/** i386 and 32-bit arm PAGE_OFFSET with the default 3G/1G split (Debian's kernels). */
const PAGE_OFFSET_3G = 0xc0000000n;
/** ppc64 PAGE_OFFSET (the kernel is linked there: KERNELBASE = PAGE_OFFSET). */
const PPC64_PAGE_OFFSET = 0xc000000000000000n;
/** LoongArch's cached direct-mapped window DMW1, where the kernel runs. */
const LOONGARCH_DMW_CACHED = 0x9000000000000000n;

/**
 * The physical address of a kernel-image virtual address (a SYMBOL() from VMCOREINFO), by each
 * architecture's rule: x86_64 virt − __START_KERNEL_map + phys_base; aarch64 virt −
 * kimage_voffset (NUMBER(kimage_voffset)); riscv64 virt − va_kernel_pa_offset; i386 virt −
 * PAGE_OFFSET (0xc0000000); ppc64 virt − PAGE_OFFSET (0xc000000000000000); s390x identity
 * (6.1 kernels run with virtual = physical); loongarch64 virt − DMW1 base. Undefined when the
 * rule needs a key the text lacks or the address is not a kernel address.
 */
export function kernelImageVirtToPhys(arch: string, info: Vmcoreinfo, virt: bigint, physBase = 0n): bigint | undefined {
  const below = (base: bigint) => (virt >= base ? virt - base : undefined);
  switch (arch) {
    case 'x86_64':
      return virt >= X86_64_START_KERNEL_MAP ? BigInt.asUintN(64, virt - X86_64_START_KERNEL_MAP + physBase) : undefined;
    case 'aarch64': {
      const voffset = info.numbers.get('kimage_voffset');
      return voffset === undefined ? undefined : below(BigInt.asUintN(64, voffset));
    }
    case 'riscv64': {
      const offset = info.numbers.get('va_kernel_pa_offset');
      return offset === undefined ? undefined : below(BigInt.asUintN(64, offset));
    }
    case 'i386':
    case 'arm':
      return below(PAGE_OFFSET_3G);
    case 'ppc64':
      return below(PPC64_PAGE_OFFSET);
    case 's390x':
      return virt;
    case 'loongarch64':
      return below(LOONGARCH_DMW_CACHED);
    default:
      return undefined;
  }
}

/** The kernel's page size from VMCOREINFO PAGESIZE, when it is a power of two from 4 KiB to 1 MiB. */
export function kernelPageSize(info: Vmcoreinfo | undefined): number | undefined {
  const size = info?.pageSize;
  return size !== undefined && size >= 4096 && size <= 1 << 20 && (size & (size - 1)) === 0 ? size : undefined;
}

/**
 * Kernel virtual → physical without page tables, for the regions a kernel maps linearly: the
 * image (kernelImageVirtToPhys) and the linear map of RAM. aarch64: [PAGE_OFFSET, PAGE_END) with
 * PAGE_OFFSET = −2^VA_BITS and PAGE_END = −2^(VA_BITS−1) maps to PHYS_OFFSET + (virt − PAGE_OFFSET),
 * above PAGE_END the image rule; riscv64: [PAGE_OFFSET, image) maps to phys_ram_base + (virt −
 * PAGE_OFFSET); i386, ppc64, s390x and loongarch64: their single linear rule. vmalloc and module
 * addresses are not linear and give wrong answers here: callers must only ask for linear ones.
 */
export function kernelLinearVirtToPhys(arch: string, info: Vmcoreinfo, virt: bigint, physBase = 0n): bigint | undefined {
  if (arch === 'aarch64') {
    const vaBits = info.numbers.get('VA_BITS');
    const physOffset = info.numbers.get('PHYS_OFFSET');
    if (vaBits === undefined || physOffset === undefined) return undefined;
    const pageOffset = BigInt.asUintN(64, -(1n << vaBits));
    const pageEnd = BigInt.asUintN(64, -(1n << (vaBits - 1n)));
    if (virt >= pageOffset && virt < pageEnd) return virt - pageOffset + BigInt.asUintN(64, physOffset);
    return kernelImageVirtToPhys(arch, info, virt, physBase);
  }
  if (arch === 'riscv64') {
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
  }
  return kernelImageVirtToPhys(arch, info, virt, physBase);
}
