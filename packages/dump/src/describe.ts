import { isVmcoreError, parseNotes, type Endian } from '@vmcore/bytes';
import type { Arch, GuestMemory, PhysBlock } from '@vmcore/guest-mem';
import { parseVmcoreinfo, resolveGuestPhysBase, vmcoreinfoText } from './backends.js';
import { detectFormat, type DetectedFormat } from './detect.js';
import { guestFromSource, openSource } from './open.js';
import { kdumpDetails, elfDetails, type KdumpDetails, type ElfDetails } from './details.js';

export interface NoteSummary {
  readonly name: string;
  readonly type: number;
  readonly size: number;
}

export interface PhysBaseInfo {
  readonly value: bigint;
  /** 'vmcoreinfo' | 'vmcoreinfo-scan' | 'page-tables' | 'default' (from @vmcore/vmcoreinfo), or 'kdump header'. */
  readonly source: string;
}

export interface VmcoreinfoSummary {
  readonly osrelease?: string;
  readonly pageSize?: number;
  readonly crashtime?: number;
  /** Number of KEY=value lines. */
  readonly entries: number;
  readonly text: string;
}

/** What `vmcore info` shows; every field comes from the file, nothing is assumed. */
export interface DumpDescription {
  readonly file: string;
  readonly fileSize: number;
  readonly format: DetectedFormat;
  readonly elfClass: 32 | 64;
  readonly endian: Endian;
  readonly machine: number;
  readonly arch: Arch;
  readonly pageSize: number;
  readonly blocks: readonly PhysBlock[];
  /** Sum of the block sizes. */
  readonly ramBytes: number;
  readonly nrCpus: number;
  /** CPU notes, then the guest note (VMCOREINFO) if any. */
  readonly notes: readonly NoteSummary[];
  readonly vmcoreinfo?: VmcoreinfoSummary;
  /** phys_base as the vmcoreinfo package resolves it for this guest. */
  readonly physBase?: PhysBaseInfo;
  readonly kdump?: KdumpDetails;
  readonly elf?: ElfDetails;
  /** Things that could not be determined, said plainly. */
  readonly warnings: readonly string[];
}

/** The first note of an in-memory note (header, padded name, padded descriptor), by @vmcore/bytes' note codec. */
export function splitNote(note: Uint8Array, endian: Endian): { name: string; type: number; desc: Uint8Array } | undefined {
  try {
    return parseNotes(note, endian, { what: 'guest note' })[0];
  } catch (error) {
    if (isVmcoreError(error)) return undefined;
    throw error;
  }
}

function summarizeVmcoreinfo(desc: Uint8Array, warnings: string[]): VmcoreinfoSummary {
  const text = vmcoreinfoText(desc);
  const entries = text.split('\n').filter((line) => line.includes('=')).length;
  try {
    const info = parseVmcoreinfo(text);
    return {
      ...(info.osrelease !== undefined ? { osrelease: info.osrelease } : {}),
      ...(info.pageSize !== undefined ? { pageSize: info.pageSize } : {}),
      ...(info.crashtime !== undefined ? { crashtime: Number(info.crashtime) } : {}),
      entries,
      text,
    };
  } catch (error) {
    warnings.push(`VMCOREINFO does not parse: ${(error as Error).message}`);
    return { entries, text };
  }
}

async function physBaseOf(guest: GuestMemory, warnings: string[]): Promise<PhysBaseInfo> {
  const resolved = await resolveGuestPhysBase(guest);
  if (resolved.source === 'default' && resolved.warning) warnings.push(`phys_base: ${resolved.warning}`);
  return { value: resolved.value, source: resolved.source };
}

/** Everything `vmcore info` prints about a dump file. */
export async function describeDump(path: string): Promise<DumpDescription> {
  const opened = await openSource(path);
  try {
    const source = opened.source;
    const format = await detectFormat(source);
    const guest = await guestFromSource(source, format);
    const warnings: string[] = [];
    try {
      const notes: NoteSummary[] = guest.cpuNotes.map((n) => ({ name: n.name, type: n.type, size: n.desc.length }));
      let vmcoreinfo: VmcoreinfoSummary | undefined;
      if (guest.guestNote) {
        const note = splitNote(guest.guestNote, guest.info.endian);
        if (note) {
          notes.push({ name: note.name, type: note.type, size: note.desc.length });
          if (note.name === 'VMCOREINFO') vmcoreinfo = summarizeVmcoreinfo(note.desc, warnings);
        } else {
          warnings.push('the guest note header is malformed');
        }
      }
      const physBase = await physBaseOf(guest, warnings);
      const kdump = format === 'kdump' || format === 'kdump-flattened' ? await kdumpDetails(source, format) : undefined;
      const elf = format === 'elf' ? await elfDetails(source) : undefined;
      return {
        file: path,
        fileSize: source.size,
        format,
        elfClass: guest.info.elfClass,
        endian: guest.info.endian,
        machine: guest.info.machine,
        arch: guest.info.arch,
        pageSize: guest.info.pageSize,
        blocks: guest.blocks.map((b) => ({ ...b })),
        ramBytes: guest.blocks.reduce((sum, b) => sum + b.size, 0),
        nrCpus: guest.nrCpus,
        notes,
        ...(vmcoreinfo ? { vmcoreinfo } : {}),
        ...(physBase ? { physBase } : {}),
        ...(kdump ? { kdump } : {}),
        ...(elf ? { elf } : {}),
        warnings,
      };
    } finally {
      await guest.close();
    }
  } finally {
    await opened.close();
  }
}
