import { hex } from '@vmcore/bytes';

/**
 * Guest virtual to guest-physical translation through the guest's page tables, or undefined when
 * the address is not mapped. @vmcore/guest-mem builds it from the CPU notes (its architecture
 * layer owns the walker); this package only asks it questions.
 */
export type Translate = (virtAddr: bigint) => Promise<number | undefined>;

/** Where a kernel maps its image, e.g. x86_64's __START_KERNEL_map area (asm/page_64_types.h). */
export interface KernelImage {
  /** First virtual address of the image area (__START_KERNEL_map). */
  readonly start: bigint;
  /** Size of the area (KERNEL_IMAGE_SIZE). */
  readonly size: bigint;
  /** _text − start for a kernel without KASLR (CONFIG_PHYSICAL_START). */
  readonly textOffset: bigint;
  /** The alignment phys_base must have (the kernel's load alignment); also the scan step. */
  readonly align: bigint;
}

/**
 * What phys_base resolution needs to know about an architecture. @vmcore/guest-mem's
 * architecture modules implement it (ArchDefinition.kernel); the shape is declared here so that
 * this package depends on nothing above it.
 */
export interface PhysBaseArch {
  /** The architecture's name, for messages. */
  readonly name: string;
  /** The VMCOREINFO NUMBER() key holding phys_base (x86_64: phys_base, arm64: PHYS_OFFSET). */
  readonly physBaseKey?: string;
  /** Where the kernel image is mapped, when phys_base can be read from the page tables. */
  readonly image?: KernelImage;
  /**
   * The architecture has no phys_base: QEMU's cpu_get_dump_info() leaves it 0 and its VMCOREINFO
   * has no phys_base key (i386, s390x, ppc64, riscv64, arm, loongarch64); resolvePhysBase then
   * answers 0 with source 'architecture'.
   */
  readonly noPhysBase?: boolean;
}

/** __pa_symbol(): a kernel-image virtual address to physical, given phys_base (u64 arithmetic). */
export function kernelVirtToPhys(virt: bigint, physBase: bigint, image: KernelImage): bigint {
  return BigInt.asUintN(64, virt - image.start + physBase);
}

/** phys_base from one kernel-image mapping: phys − (virt − start), as a u64. */
export function physBaseFromMapping(virt: bigint, phys: number | bigint, image: KernelImage): bigint {
  return BigInt.asUintN(64, BigInt(phys) - (virt - image.start));
}

/** _text of a kernel with this KASLR offset. */
export function kernelText(image: KernelImage, kernelOffset: bigint): bigint {
  return image.start + image.textOffset + kernelOffset;
}

export interface PageTablePhysBaseOptions {
  readonly translate: Translate;
  readonly image: KernelImage;
  /** A kernel-image address to try first (e.g. _text = start + textOffset + KERNELOFFSET). */
  readonly kernelTextVirt?: bigint;
}

export type PageTablePhysBase =
  | { readonly ok: true; readonly value: bigint; readonly virtAddr: bigint; readonly physAddr: number; readonly warning?: string }
  | { readonly ok: false; readonly reason: string };

interface Candidate {
  readonly virt: bigint;
  readonly phys: number;
  readonly value: bigint;
}

/**
 * phys_base from the guest's own page tables: translate the kernel-image area (the hint first,
 * then every `align` bytes of it; x86_64's cleanup_highmap() leaves nothing mapped below _text)
 * and apply phys_base = phys − (virt − start). The result must be aligned as the kernel requires
 * of its load address; two mappings that disagree give a warning.
 */
export async function physBaseFromPageTables(options: PageTablePhysBaseOptions): Promise<PageTablePhysBase> {
  const { translate, image } = options;
  const end = image.start + image.size;
  const found: Candidate[] = [];
  let misaligned: string | undefined;
  const consider = async (virt: bigint): Promise<void> => {
    const phys = await translate(virt);
    if (phys === undefined) return;
    const value = physBaseFromMapping(virt, phys, image);
    if (value % image.align !== 0n) {
      misaligned = `${hex(virt)} maps to ${hex(phys)}, giving a phys_base ${hex(value)} that is not aligned to ${hex(image.align)}`;
      return;
    }
    found.push({ virt, phys, value });
  };
  const hint = options.kernelTextVirt;
  if (hint !== undefined && hint >= image.start && hint < end) await consider(hint & ~0xfffn);
  for (let virt = image.start; virt < end && found.length < 2; virt += image.align) {
    if (hint !== undefined && found.length === 1 && virt <= found[0]!.virt) continue;
    await consider(virt);
  }
  const [first, second] = found;
  if (!first) {
    return { ok: false, reason: `no usable mapping in ${hex(image.start)}..${hex(end)}${misaligned ? ` (last: ${misaligned})` : ''}` };
  }
  const warning =
    second && second.value !== first.value
      ? `page tables disagree: ${hex(first.virt)} gives phys_base ${hex(first.value)} but ${hex(second.virt)} gives ${hex(second.value)}`
      : undefined;
  return { ok: true, value: first.value, virtAddr: first.virt, physAddr: first.phys, ...(warning ? { warning } : {}) };
}
