import { cString, hex, isVmcoreError, latin1Bytes, parseNotes, type Endian } from '@vmcore/bytes';
import type { ReadPhys } from './guest-note.js';
import { findVmcoreinfoNote } from './note.js';
import {
  kernelText,
  kernelVirtToPhys,
  physBaseFromPageTables,
  type PageTablePhysBase,
  type PhysBaseArch,
  type Translate,
} from './kernel-image.js';
import { chunksFromBlocks, scanForVmcoreinfoNote, type PhysChunk, type PhysRange } from './scan.js';
import { parseVmcoreinfo, vmcoreinfoText, type Vmcoreinfo } from './vmcoreinfo.js';

/** 'architecture': the architecture has no phys_base (its kernels are not relocated that way), so 0 is right. */
export type PhysBaseSource = 'vmcoreinfo' | 'vmcoreinfo-scan' | 'page-tables' | 'architecture' | 'default';

/**
 * The guest's phys_base as the u64 the kdump sub-header carries (makedumpfile and crash read it
 * as an unsigned long). x86_64 prints NUMBER(phys_base) with %ld, so a kernel loaded below its
 * link address shows a negative number: -71303168 is 0xfffffffffbc00000. arm64 prints
 * NUMBER(PHYS_OFFSET) as 0x%llx.
 */
export function physBaseFromVmcoreinfo(info: Vmcoreinfo, arch: PhysBaseArch): bigint | undefined {
  const key = arch.physBaseKey;
  const value = key === undefined ? undefined : info.numbers.get(key);
  return value === undefined ? undefined : BigInt.asUintN(64, value);
}

/**
 * What QEMU (7.2 and current) puts in the kdump header from the same text: it parses the value
 * with qemu_strtou64(..., 16), so decimal is read as hex and a minus sign negates modulo 2^64
 * (-71303168 becomes 0xffffffff8ecfce98). Undefined when QEMU would keep its default of 0
 * (no key, or a value qemu_strtou64 rejects). For comparing with QEMU's files, never for writing.
 */
export function qemuPhysBaseFromVmcoreinfo(text: string, arch: PhysBaseArch): bigint | undefined {
  const key = arch.physBaseKey;
  if (key === undefined) return undefined;
  const prefix = `NUMBER(${key})=`;
  for (const line of cString(latin1Bytes(text)).split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX])?([0-9a-fA-F]+)$/.exec(line.slice(prefix.length));
    if (!m) return undefined;
    const magnitude = BigInt(`0x${m[2]!}`);
    if (magnitude >= 1n << 64n) return undefined;
    return m[1] === '-' ? BigInt.asUintN(64, -magnitude) : magnitude;
  }
  return undefined;
}

export interface ResolvePhysBaseOptions {
  /** The architecture's rules (guest-mem's ArchDefinition.kernel). */
  readonly arch: PhysBaseArch;
  readonly endian?: Endian;
  /** The guest note QEMU copied (GuestMemory.guestNote): header, padded name, padded descriptor. */
  readonly guestNote?: Uint8Array;
  /** Guest-physical reads, for scanning. */
  readonly read?: ReadPhys;
  /** RAM blocks: what to scan. */
  readonly blocks?: readonly PhysRange[];
  /** Memory to scan instead of reading `blocks` through `read`. */
  readonly chunks?: AsyncIterable<PhysChunk>;
  /** The guest's page tables (guest-mem's ArchPageTables.translator()). */
  readonly translate?: Translate;
  /** KASLR offset if known from elsewhere; _text = image start + textOffset + offset is tried first. */
  readonly kernelOffset?: bigint;
  /** Sources to try, in this order (default: all). 'default' always ends the list. */
  readonly sources?: readonly PhysBaseSource[];
}

export interface ResolvedPhysBase {
  /** phys_base as the u64 the kdump sub-header carries. */
  readonly value: bigint;
  readonly source: PhysBaseSource;
  /** The VMCOREINFO note found by scanning guest memory, to write as the guest note. */
  readonly note?: Uint8Array;
  /** Where that note was found. */
  readonly notePhysAddr?: number;
  /** The parsed VMCOREINFO the value came from (or that was found without a phys_base). */
  readonly vmcoreinfo?: Vmcoreinfo;
  /** Why better sources were not used; several reasons are joined with "; ". */
  readonly warning?: string;
}

const ALL_SOURCES: readonly PhysBaseSource[] = ['vmcoreinfo', 'vmcoreinfo-scan', 'page-tables', 'default'];

/**
 * phys_base from the best source available: (a) the guest's VMCOREINFO note, read correctly;
 * (b) a VMCOREINFO note found by scanning guest memory; (c) the guest's page tables, through
 * `translate`, where the architecture says where its kernel image is mapped;
 * (d) 0, with a warning.
 */
export async function resolvePhysBase(options: ResolvePhysBaseOptions): Promise<ResolvedPhysBase> {
  const endian = options.endian ?? 'le';
  const sources = options.sources ?? ALL_SOURCES;
  const warnings: string[] = [];
  const key = options.arch.physBaseKey;
  const image = options.arch.image;
  const archName = options.arch.name;
  let info: Vmcoreinfo | undefined;
  let scanned: { note: Uint8Array; physAddr: number } | undefined;
  let tables: PageTablePhysBase | undefined;
  const pageTables = async (kernelTextVirt?: bigint): Promise<PageTablePhysBase | undefined> => {
    if (!image || !options.translate) return undefined;
    tables ??= await physBaseFromPageTables({
      translate: options.translate,
      image,
      ...(kernelTextVirt !== undefined ? { kernelTextVirt } : {}),
    });
    return tables;
  };

  const fromText = (desc: Uint8Array, what: string): Vmcoreinfo | undefined => {
    try {
      return parseVmcoreinfo(vmcoreinfoText(desc));
    } catch (error) {
      if (!isVmcoreError(error)) throw error;
      warnings.push(`${what}: ${error.message}`);
      return undefined;
    }
  };
  const done = (value: bigint, source: PhysBaseSource): ResolvedPhysBase => ({
    value,
    source,
    ...(scanned ? { note: scanned.note, notePhysAddr: scanned.physAddr } : {}),
    ...(info ? { vmcoreinfo: info } : {}),
    ...(warnings.length > 0 ? { warning: warnings.join('; ') } : {}),
  });

  for (const source of sources) {
    if (source === 'vmcoreinfo') {
      if (!options.guestNote) {
        warnings.push('no guest VMCOREINFO note');
        continue;
      }
      let notes;
      try {
        notes = parseNotes(options.guestNote, endian, { what: 'guest note' });
      } catch (error) {
        if (!isVmcoreError(error)) throw error;
        warnings.push(error.message);
        continue;
      }
      const note = findVmcoreinfoNote(notes);
      if (!note) {
        warnings.push(`guest note is ${notes.map((n) => JSON.stringify(n.name)).join(', ') || 'empty'}, not VMCOREINFO`);
        continue;
      }
      const parsed = fromText(note.desc, 'guest VMCOREINFO');
      if (!parsed) continue;
      info ??= parsed;
      const value = physBaseFromVmcoreinfo(parsed, options.arch);
      if (value !== undefined) return done(value, 'vmcoreinfo');
      if (key) warnings.push(`guest VMCOREINFO has no NUMBER(${key})`);
      else if (options.arch.noPhysBase) return done(0n, 'architecture');
      else warnings.push(`no VMCOREINFO phys_base key for ${archName}`);
    } else if (source === 'vmcoreinfo-scan') {
      const chunks = options.chunks ?? (options.read && options.blocks ? chunksFromBlocks(options.read, options.blocks) : undefined);
      if (!chunks) {
        warnings.push('no guest memory to scan for VMCOREINFO');
        continue;
      }
      const checked = await pageTables(image && options.kernelOffset !== undefined ? kernelText(image, options.kernelOffset) : undefined);
      const found = await scanForVmcoreinfoNote(chunks, {
        endian,
        accept: (candidate) => currentKernel(candidate, options, checked, warnings),
      });
      if (!found) {
        warnings.push('no VMCOREINFO note found in guest memory');
        continue;
      }
      scanned = { note: found.note, physAddr: found.physAddr };
      const parsed = fromText(latin1Bytes(found.text), `VMCOREINFO at ${hex(found.physAddr)}`);
      if (!parsed) continue;
      info ??= parsed;
      const value = physBaseFromVmcoreinfo(parsed, options.arch);
      if (value !== undefined) return done(value, 'vmcoreinfo-scan');
      if (key) warnings.push(`VMCOREINFO at ${hex(found.physAddr)} has no NUMBER(${key})`);
      else if (options.arch.noPhysBase) return done(0n, 'architecture');
      else warnings.push(`no VMCOREINFO phys_base key for ${archName}`);
    } else if (source === 'page-tables') {
      if (options.arch.noPhysBase) continue;
      if (!image) {
        warnings.push(`no kernel-image layout to read phys_base from ${archName} page tables`);
        continue;
      }
      if (!options.translate) {
        warnings.push('no CPU state and memory for a page-table walk');
        continue;
      }
      const kernelOffset = options.kernelOffset ?? info?.kernelOffset;
      const kernelTextVirt = info?.symbols.get('_stext') ?? (kernelOffset !== undefined ? kernelText(image, kernelOffset) : undefined);
      const result = (await pageTables(kernelTextVirt))!;
      if (result.ok) {
        if (result.warning) warnings.push(result.warning);
        return done(result.value, 'page-tables');
      }
      warnings.push(`page tables: ${result.reason}`);
    } else {
      break;
    }
  }
  if (options.arch.noPhysBase) return done(0n, 'architecture');
  warnings.push('phys_base defaults to 0');
  return done(0n, 'default');
}

/**
 * RAM is not cleared on a guest reset, so a scan can meet a VMCOREINFO note left by an earlier
 * boot. When the CPUs' page tables give a phys_base, a note is taken only if it names the same
 * phys_base and its _text is mapped where that phys_base puts it
 * (__pa_symbol(_text) = _text − __START_KERNEL_map + phys_base). Without usable page tables,
 * the first note is taken.
 */
async function currentKernel(
  found: { physAddr: number; text: string },
  options: ResolvePhysBaseOptions,
  tables: PageTablePhysBase | undefined,
  warnings: string[],
): Promise<boolean> {
  const image = options.arch.image;
  if (!tables?.ok || !options.translate || !image) return true;
  let info: Vmcoreinfo;
  try {
    info = parseVmcoreinfo(vmcoreinfoText(latin1Bytes(found.text)));
  } catch {
    return true; // reported by the caller
  }
  const physBase = physBaseFromVmcoreinfo(info, options.arch);
  if (physBase === undefined) return true;
  const stale = (why: string): false => {
    warnings.push(`VMCOREINFO at ${hex(found.physAddr)} is not the running kernel's: ${why}`);
    return false;
  };
  if (physBase !== tables.value) return stale(`phys_base ${hex(physBase)}, page tables say ${hex(tables.value)}`);
  const text = info.symbols.get('_stext') ?? (info.kernelOffset !== undefined ? kernelText(image, info.kernelOffset) : undefined);
  if (text === undefined) return true;
  const mapped = await options.translate(text);
  const expected = kernelVirtToPhys(text, physBase, image);
  if (mapped === undefined) return stale(`its _text ${hex(text)} is not mapped`);
  if (BigInt(mapped) !== expected) return stale(`its _text ${hex(text)} maps to ${hex(mapped)}, not ${hex(expected)}`);
  return true;
}
