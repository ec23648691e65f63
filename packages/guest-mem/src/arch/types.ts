import type { ElfNote, Endian } from '@vmcore/bytes';
import type { PhysBaseArch, Translate, Vmcoreinfo } from '@vmcore/vmcoreinfo';
import type { Arch, DumpInfo, GuestMemory, MemoryMapping, PhysBlock, QemuTarget } from '../model.js';
import type { RegisterNoteLayout } from './register-note.js';

/**
 * The architecture layer: one module per architecture under `src/arch/` exports one
 * `ArchDefinition`, and `src/arch/index.ts` lists them. Everything the packages need to know
 * about an architecture is here and nowhere else: ELF numbers, names readers use, CPU notes,
 * kernel address rules and page tables. A new architecture (aarch64, arm, ppc64, s390x,
 * riscv64, loongarch64) implements this interface in `src/arch/<name>.ts`, adds its name to
 * `Arch` in `model.ts`, and appends its definition to `ARCHES` in `src/arch/index.ts`; nothing
 * else changes for the readers and writers to pick it up.
 *
 * Facts come from QEMU 7.2's target/<arch>/arch_dump.c (cpu_get_dump_info(), the note
 * writers), the kernel's uapi headers, and the readers (makedumpfile, libkdumpfile, crash).
 */
export interface ArchDefinition {
  /** Our name, `DumpInfo.arch`. */
  readonly name: Arch;
  /** ELF e_machine QEMU writes (EM_X86_64 = 62, EM_386 = 3, EM_AARCH64 = 183, ...). */
  readonly machine: number;
  /** ELF class QEMU's cpu_get_dump_info() chooses (i386 may still get 64, see dumpInfo()). */
  readonly elfClass: 32 | 64;
  /**
   * Byte orders the architecture dumps in, QEMU's default first (ppc64 has both; the rest one).
   * A reader takes the byte order from the file; writers use `endians[0]` unless told.
   */
  readonly endians: readonly Endian[];
  /** QEMU's dump page size (the maximum where the kernel may choose: 64 KiB for aarch64 and ppc64). */
  readonly pageSize: number;
  /**
   * QEMU system emulators whose dump-guest-memory serves this architecture, the default first
   * (the binary a guest description without a record of it is taken to run under).
   */
  readonly qemuTargets: readonly QemuTarget[];
  readonly names: ArchNames;
  readonly cpu: CpuNoteCodec;
  /** Kernel address rules; passed as is to @vmcore/vmcoreinfo's resolvePhysBase({ arch }). */
  readonly kernel: KernelRules;
  /** The page-table walk; absent where it is not implemented (paging=true is then refused). */
  readonly pageTables?: ArchPageTables;
  /**
   * QEMU's cpu_get_dump_info() for a guest with these blocks (x86 widens i386 to ELFCLASS64
   * when RAM ends above 4 GiB) in this byte order (default `endians[0]`).
   */
  dumpInfo(options?: { readonly endian?: Endian; readonly blocks?: readonly PhysBlock[] }): DumpInfo;
}

/** How tools name the architecture. */
export interface ArchNames {
  /**
   * `uname -m` of a Linux guest in this byte order (x86_64, i686, aarch64, ppc64le, s390x):
   * what our kdump writer puts in new_utsname.machine.
   */
  uts(endian: Endian): string;
  /** Every new_utsname.machine a reader should take as this architecture (i386..i686, arm64, ...). */
  readonly utsAliases: readonly string[];
  /** libkdumpfile's arch name (its `arch.name` attribute: x86_64, ia32, aarch64, ppc64, s390x, ...). */
  readonly libkdumpfile: string;
}

/** Registers by the architecture's own names (`CpuNoteCodec.registers`), for building notes. */
export interface CpuRegisters {
  /** pr_pid of the NT_PRSTATUS note; QEMU writes cpu_index + 1 (the default). */
  readonly pid?: number;
  /** Missing registers are written as 0. */
  readonly regs: Readonly<Record<string, bigint>>;
}

/** One CPU note, typed. `kind` names the C struct; 'opaque' when the architecture does not know the note. */
export interface TypedCpuNote {
  readonly kind: string;
  readonly note: ElfNote;
  readonly value?: unknown;
}

/** What `vmcore info` shows per CPU; a field is absent when the notes do not carry it. */
export interface CpuSummary {
  /** Index in QEMU's CPU order (the order of the NT_PRSTATUS notes). */
  readonly cpu: number;
  /** pr_pid as QEMU wrote it (cpu_index + 1 on most targets; 0 on ppc64), when the note has one. */
  readonly pid?: number;
  /** Program counter (rip, eip, pc, psw address, ...). */
  readonly pc?: bigint;
  /** Stack pointer. */
  readonly sp?: bigint;
  /** Page-table root the CPU was using (CR3, ASCE origin, ...), with the register it comes from. */
  readonly pageTableBase?: { readonly value: bigint; readonly register: string };
  /** Labels of the notes found for this CPU (prstatus, fpsimd, sve, ctrs, qemu-cpu-state…). */
  readonly notes: readonly string[];
  /** Every decoded register (prstatus first, then the other notes, prefixed `label.`). */
  readonly registers: Readonly<Record<string, bigint>>;
}

/** The per-CPU notes QEMU writes for this architecture: their structs, in both directions. */
export interface CpuNoteCodec {
  /** The register names `encode` accepts and `decode` yields (in note order). */
  readonly registers: readonly string[];
  /** Types one note (never throws for an unknown note: kind 'opaque'; a known note of the wrong size throws VMCORE_CORRUPT). */
  decode(note: ElfNote, endian: Endian): TypedCpuNote;
  /**
   * The notes QEMU writes for these CPUs, in QEMU's order (e.g. every CORE note, then every QEMU
   * note), for a dump of this ELF class (default 64). Registers are named as `summarize` names them
   * (`label.register` outside the prstatus); encoding what `summarize` read gives QEMU's bytes back.
   */
  encode(cpus: readonly CpuRegisters[], endian: Endian, elfClass?: 32 | 64): ElfNote[];
  /** One summary per CPU, from the notes of a dump (notes this codec does not know are listed as `name/type`). */
  summarize(notes: readonly ElfNote[], endian: Endian, elfClass?: 32 | 64): CpuSummary[];
  /** The register-note layouts QEMU writes for a dump of this ELF class (absent for x86, whose notes have their own codecs). */
  readonly layouts?: (elfClass: 32 | 64) => readonly RegisterNoteLayout[];
}

/**
 * Kernel address rules. The fields @vmcore/vmcoreinfo's PhysBaseArch declares (name,
 * physBaseKey: the VMCOREINFO NUMBER() that holds phys_base or PHYS_OFFSET, image: where the
 * kernel image is mapped) plus the direct-map rule readers use.
 */
export interface KernelRules extends PhysBaseArch {
  /**
   * __pa_symbol(): a kernel-image virtual address to physical, given phys_base (u64 arithmetic)
   * and, for architectures whose rule needs more (arm64's kimage_voffset), the guest's parsed
   * VMCOREINFO. Undefined where the architecture has no such rule (or returns undefined when the
   * VMCOREINFO lacks what it needs).
   */
  readonly imageVirtToPhys?: (virt: bigint, physBase: bigint, vmcoreinfo?: Vmcoreinfo) => bigint | undefined;
  /**
   * Kernel virtual → physical without page tables where the kernel maps linearly beyond its image
   * (arm64's linear map [PAGE_OFFSET, PAGE_END), riscv64's below the image); absent: the image rule
   * covers every linear address. vmalloc and module addresses give wrong answers: ask for linear ones.
   */
  readonly linearVirtToPhys?: (virt: bigint, physBase: bigint, vmcoreinfo: Vmcoreinfo) => bigint | undefined;
  /**
   * Whether a VMCOREINFO text comes from this architecture, by keys only its
   * arch_crash_save_vmcoreinfo() writes (arm64: kimage_voffset; x86_64: phys_base; ...).
   */
  readonly ownsVmcoreinfo?: (vmcoreinfo: Vmcoreinfo) => boolean;
  /** Debian kernel flavours of this architecture (the OSRELEASE suffix: -amd64, -686-pae, -arm64, ...). */
  readonly debianFlavours?: RegExp;
}

/**
 * The part of a guest the page-table code reads (the guest note too where a walker needs
 * VMCOREINFO facts, e.g. arm64's VA_BITS).
 */
export type PagingGuest = Pick<GuestMemory, 'info' | 'blocks' | 'cpuNotes' | 'read'> & Partial<Pick<GuestMemory, 'guestNote'>>;

export interface PagingOptions {
  /**
   * x86: long mode for CPUs whose EFER is not given (QEMU's notes never carry it): true when the
   * dump is EM_X86_64, false for EM_386; undefined infers it per CPU. Other architectures ignore it.
   */
  readonly assumeLongMode?: boolean;
  /** Stop with VMCORE_TOO_LARGE beyond this many mappings (default 4 Mi). */
  readonly maxMappings?: number;
  /** Stop with VMCORE_TOO_LARGE after this many present entries (tables and pages, default 128 Mi). */
  readonly maxEntries?: number;
}

export interface TranslateOptions {
  /** Distinct table pages one translator may read in all (default 4096): hostile tables cost bounded work. */
  readonly maxTablePages?: number;
}

/** The architecture's page tables, found through the CPU notes: one walker for both uses. */
export interface ArchPageTables {
  /** QEMU's paging=true memory mappings (qemu_get_guest_memory_mapping()), in QEMU's order. */
  mappings(guest: PagingGuest, options?: PagingOptions): Promise<MemoryMapping[]>;
  /**
   * Virtual-to-physical translation through the page tables of the CPUs in the notes (the first
   * CPU whose tables map the address wins); undefined when no CPU note gives a table root.
   */
  translator(guest: PagingGuest, options?: TranslateOptions): Translate | undefined;
}
