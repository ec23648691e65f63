import { VmcoreError, VmcoreErrorCode, defineStruct, type Endian } from '@vmcore/bytes';

const IDENT = [
  ['magic', { bytes: 4 }],
  ['class', 'u8'],
  ['data', 'u8'],
  ['identVersion', 'u8'],
  ['osabi', 'u8'],
  ['abiversion', 'u8'],
  ['identPad', { bytes: 7 }],
] as const;

/** Elf64_Ehdr / Elf32_Ehdr: the address-sized fields differ, nothing else. */
const EHDR64 = defineStruct('Elf64_Ehdr', [
  ...IDENT,
  ['type', 'u16'],
  ['machine', 'u16'],
  ['version', 'u32'],
  ['entry', 'u64'],
  ['phoff', 'u64'],
  ['shoff', 'u64'],
  ['flags', 'u32'],
  ['ehsize', 'u16'],
  ['phentsize', 'u16'],
  ['phnum', 'u16'],
  ['shentsize', 'u16'],
  ['shnum', 'u16'],
  ['shstrndx', 'u16'],
] as const);
const EHDR32 = defineStruct('Elf32_Ehdr', [
  ...IDENT,
  ['type', 'u16'],
  ['machine', 'u16'],
  ['version', 'u32'],
  ['entry', 'u32'],
  ['phoff', 'u32'],
  ['shoff', 'u32'],
  ['flags', 'u32'],
  ['ehsize', 'u16'],
  ['phentsize', 'u16'],
  ['phnum', 'u16'],
  ['shentsize', 'u16'],
  ['shnum', 'u16'],
  ['shstrndx', 'u16'],
] as const);
const PHDR64 = defineStruct('Elf64_Phdr', [
  ['type', 'u32'],
  ['flags', 'u32'],
  ['offset', 'u64'],
  ['vaddr', 'u64'],
  ['paddr', 'u64'],
  ['filesz', 'u64'],
  ['memsz', 'u64'],
  ['align', 'u64'],
] as const);
const PHDR32 = defineStruct('Elf32_Phdr', [
  ['type', 'u32'],
  ['offset', 'u32'],
  ['vaddr', 'u32'],
  ['paddr', 'u32'],
  ['filesz', 'u32'],
  ['memsz', 'u32'],
  ['flags', 'u32'],
  ['align', 'u32'],
] as const);
const SHDR64 = defineStruct('Elf64_Shdr', [
  ['name', 'u32'],
  ['type', 'u32'],
  ['flags', 'u64'],
  ['addr', 'u64'],
  ['offset', 'u64'],
  ['size', 'u64'],
  ['link', 'u32'],
  ['info', 'u32'],
  ['addralign', 'u64'],
  ['entsize', 'u64'],
] as const);
const SHDR32 = defineStruct('Elf32_Shdr', [
  ['name', 'u32'],
  ['type', 'u32'],
  ['flags', 'u32'],
  ['addr', 'u32'],
  ['offset', 'u32'],
  ['size', 'u32'],
  ['link', 'u32'],
  ['info', 'u32'],
  ['addralign', 'u32'],
  ['entsize', 'u32'],
] as const);

export type ElfClass = 32 | 64;

export interface Ehdr {
  readonly class: number;
  readonly data: number;
  readonly identVersion: number;
  readonly osabi: number;
  readonly type: number;
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: bigint;
  readonly shoff: bigint;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
}

export interface Phdr {
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

export interface Shdr {
  readonly name: number;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: bigint;
}

export const ehdrSize = (cls: ElfClass): number => (cls === 64 ? EHDR64.size : EHDR32.size);
export const phdrSize = (cls: ElfClass): number => (cls === 64 ? PHDR64.size : PHDR32.size);
export const shdrSize = (cls: ElfClass): number => (cls === 64 ? SHDR64.size : SHDR32.size);

const U32_MAX = 0xffffffffn;

/** Address-sized fields are bigint in both classes; a 32-bit file refuses values that do not fit. */
function narrow(value: bigint, what: string): number {
  if (value < 0n || value > U32_MAX) {
    throw new VmcoreError(VmcoreErrorCode.TooLarge, `${what} ${value} does not fit a 32-bit ELF field`);
  }
  return Number(value);
}

function widen<T>(value: Record<string, unknown>, keys: readonly string[]): T {
  const out: Record<string, unknown> = { ...value };
  for (const key of keys) out[key] = BigInt(value[key] as number);
  return out as T;
}

const EHDR_WIDE = ['entry', 'phoff', 'shoff'] as const;
const PHDR_WIDE = ['offset', 'vaddr', 'paddr', 'filesz', 'memsz', 'align'] as const;
const SHDR_WIDE = ['flags', 'addr', 'offset', 'size', 'addralign', 'entsize'] as const;

function narrowAll(value: Record<string, unknown>, keys: readonly string[], what: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const key of keys) out[key] = narrow(value[key] as bigint, `${what}.${key}`);
  return out;
}

export function encodeEhdr(
  cls: ElfClass,
  endian: Endian,
  value: Omit<Ehdr, 'class' | 'data' | 'identVersion' | 'osabi'>,
  target?: Uint8Array,
  at?: number,
): Uint8Array {
  const full = {
    magic: Uint8Array.of(0x7f, 0x45, 0x4c, 0x46),
    class: cls === 64 ? 2 : 1,
    data: endian === 'le' ? 1 : 2,
    identVersion: 1,
    osabi: 0,
    ...value,
  };
  return cls === 64
    ? EHDR64.encode(full as never, endian, target, at)
    : EHDR32.encode(narrowAll(full, EHDR_WIDE, 'Elf32_Ehdr') as never, endian, target, at);
}

export function decodeEhdr(cls: ElfClass, endian: Endian, bytes: Uint8Array): Ehdr {
  return cls === 64
    ? (EHDR64.decode(bytes, endian) as unknown as Ehdr)
    : widen<Ehdr>(EHDR32.decode(bytes, endian) as unknown as Record<string, unknown>, EHDR_WIDE);
}

export function encodePhdr(cls: ElfClass, endian: Endian, value: Phdr, target?: Uint8Array, at?: number): Uint8Array {
  return cls === 64
    ? PHDR64.encode(value as never, endian, target, at)
    : PHDR32.encode(narrowAll(value as never, PHDR_WIDE, 'Elf32_Phdr') as never, endian, target, at);
}

export function decodePhdr(cls: ElfClass, endian: Endian, bytes: Uint8Array, at = 0): Phdr {
  return cls === 64
    ? (PHDR64.decode(bytes, endian, at) as unknown as Phdr)
    : widen<Phdr>(PHDR32.decode(bytes, endian, at) as unknown as Record<string, unknown>, PHDR_WIDE);
}

export function encodeShdr(cls: ElfClass, endian: Endian, value: Partial<Shdr>, target?: Uint8Array, at?: number): Uint8Array {
  const full: Shdr = {
    name: 0,
    type: 0,
    flags: 0n,
    addr: 0n,
    offset: 0n,
    size: 0n,
    link: 0,
    info: 0,
    addralign: 0n,
    entsize: 0n,
    ...value,
  };
  return cls === 64
    ? SHDR64.encode(full as never, endian, target, at)
    : SHDR32.encode(narrowAll(full as never, SHDR_WIDE, 'Elf32_Shdr') as never, endian, target, at);
}

export function decodeShdr(cls: ElfClass, endian: Endian, bytes: Uint8Array, at = 0): Shdr {
  return cls === 64
    ? (SHDR64.decode(bytes, endian, at) as unknown as Shdr)
    : widen<Shdr>(SHDR32.decode(bytes, endian, at) as unknown as Record<string, unknown>, SHDR_WIDE);
}

export const STRUCTS = { EHDR64, EHDR32, PHDR64, PHDR32, SHDR64, SHDR32 };
