import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { archFromVmcoreinfo, dumpInfoForArch, dumpInfoForBlocks, withQemuTarget, type DumpInfo, type GuestMemory } from '@vmcore/guest-mem';
import { chunksFromBlocks, parseVmcoreinfo, scanForVmcoreinfoNote } from '@vmcore/vmcoreinfo';
import { openRamGuest } from '../backends.js';
import { guestView } from '../guest-view.js';
import { openGuest } from './open.js';
import { openSparseAwareFile } from './sparse-source.js';

export interface RamDumpSource {
  /** Block map JSON (docs/DESIGN.md): a path, or the parsed object. */
  readonly map: string | object;
  /**
   * RAM files that replace the map's `file` entries: matched by base name, or, when the map names
   * a single file and one RAM file is given, that one. Map paths are relative to the map's folder.
   */
  readonly ram?: readonly string[];
  /** Another dump of the same guest (ELF or kdump) whose CPU notes and guest note to use. */
  readonly notesFrom?: string;
  /**
   * The guest architecture when there is no notesFrom (x86_64, i386, aarch64, s390x, ppc64).
   * Else the map's `arch` field, the pc/q35 shorthand (x86_64), or the VMCOREINFO note found in
   * the RAM; with none of these the guest is refused rather than guessed.
   */
  readonly arch?: string;
  /** The QEMU binary serving the guest (x86_64, i386, ...); else the map's `qemuTarget`, else the architecture's default. */
  readonly qemuTarget?: string;
}

type MapObject = { file?: unknown; blocks?: { file?: unknown }[] } & Record<string, unknown>;

function mapFiles(map: MapObject): string[] {
  const files = new Set<string>();
  if (typeof map.file === 'string') files.add(map.file);
  for (const block of Array.isArray(map.blocks) ? map.blocks : []) if (typeof block?.file === 'string') files.add(block.file);
  return [...files];
}

/** Resolves the map's file names against its folder and the --ram files. */
export function resolveMapFiles(map: MapObject, mapDir: string, ram: readonly string[] = []): MapObject {
  const names = mapFiles(map);
  const replacement = new Map<string, string>();
  if (ram.length === 1 && names.length === 1) {
    replacement.set(names[0]!, ram[0]!);
  } else {
    for (const file of ram) {
      const matches = names.filter((name) => basename(name) === basename(file));
      if (matches.length === 0) {
        throw new VmcoreError(
          VmcoreErrorCode.InvalidArgument,
          `RAM file ${file} matches no file of the block map (map names: ${names.join(', ') || 'none'})`,
        );
      }
      for (const name of matches) replacement.set(name, file);
    }
  }
  const fix = (name: string) => replacement.get(name) ?? (isAbsolute(name) ? name : resolve(mapDir, name));
  return {
    ...map,
    ...(typeof map.file === 'string' ? { file: fix(map.file) } : {}),
    ...(Array.isArray(map.blocks)
      ? { blocks: map.blocks.map((b) => (typeof b?.file === 'string' ? { ...b, file: fix(b.file) } : b)) }
      : {}),
  };
}

/**
 * A guest from raw RAM files and a block map (a live QEMU's memory-backend file, a snapshot).
 * CPU state and the VMCOREINFO note cannot come from RAM alone; `notesFrom` borrows them from
 * another dump of the same stopped guest.
 */
export async function openRamDump(source: RamDumpSource): Promise<GuestMemory> {
  const map = await loadMap(source);
  const target = source.qemuTarget ?? (typeof map.qemuTarget === 'string' ? map.qemuTarget : undefined);
  const guest = await openRamDumpGuest(source, map);
  if (target === undefined) return guest;
  try {
    return guestView(guest, { info: withQemuTarget(guest.info, target) });
  } catch (error) {
    await guest.close();
    throw error;
  }
}

async function openRamDumpGuest(source: RamDumpSource, map: MapObject): Promise<GuestMemory> {
  if (!source.notesFrom) {
    const guest = await openRamGuest({ map, open: openSparseAwareFile });
    try {
      const info = await ramGuestInfo(
        guest,
        source.arch ?? (typeof map.arch === 'string' ? map.arch : undefined),
        typeof map.machine === 'string',
      );
      return info === guest.info ? guest : guestView(guest, { info });
    } catch (error) {
      await guest.close();
      throw error;
    }
  }
  const donor = await openGuest(source.notesFrom);
  try {
    const guest = await openRamGuest({
      map,
      open: openSparseAwareFile,
      info: donor.info,
      cpuNotes: donor.cpuNotes,
      nrCpus: donor.nrCpus,
      ...(donor.guestNote ? { guestNote: donor.guestNote } : {}),
    });
    // the ELF class by QEMU's rule for the blocks dumped here, not the donor's (i386: ELFCLASS32
    // for RAM below 4 GiB although QEMU's own dump with pc.bios was ELFCLASS64)
    const info = dumpInfoForBlocks(guest.info, guest.blocks);
    return info === guest.info ? guest : guestView(guest, { info });
  } finally {
    await donor.close();
  }
}

/** Every file a RAM dump reads: the map, the RAM files it resolves to, the notes donor. */
export async function ramDumpInputs(source: RamDumpSource): Promise<string[]> {
  const resolved = await loadMap(source);
  return [...(typeof source.map === 'string' ? [source.map] : []), ...mapFiles(resolved), ...(source.notesFrom ? [source.notesFrom] : [])];
}

async function loadMap(source: RamDumpSource): Promise<MapObject> {
  let map: MapObject;
  let mapDir = process.cwd();
  if (typeof source.map === 'string') {
    mapDir = dirname(resolve(source.map));
    let text: string;
    try {
      text = await readFile(source.map, 'utf8');
    } catch (error) {
      throw new VmcoreError(VmcoreErrorCode.Io, `cannot read block map ${source.map}: ${(error as Error).message}`, { cause: error });
    }
    try {
      map = JSON.parse(text) as MapObject;
    } catch (error) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `block map ${source.map} is not JSON: ${(error as Error).message}`);
    }
  } else {
    map = source.map as MapObject;
  }
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      'block map must be a JSON object ({ blocks: [...] } or { machine, ramSize, file })',
    );
  }
  return resolveMapFiles(map, mapDir, source.ram);
}

/**
 * The DumpInfo of a RAM guest without notes: from `arch` (option or map field), the pc/q35
 * shorthand, or the architecture its VMCOREINFO note (found by scanning, either byte order) names.
 */
async function ramGuestInfo(guest: GuestMemory, arch: string | undefined, pcShorthand: boolean): Promise<DumpInfo> {
  const named = arch ?? (pcShorthand ? 'x86_64' : undefined);
  if (named !== undefined) {
    const info = dumpInfoForArch(named, guest.blocks);
    if (!info)
      throw new VmcoreError(
        VmcoreErrorCode.InvalidArgument,
        `unknown guest architecture ${JSON.stringify(named)}: expected x86_64, i386, aarch64, s390x or ppc64`,
      );
    return info;
  }
  for (const endian of ['le', 'be'] as const) {
    const found = await scanForVmcoreinfoNote(
      chunksFromBlocks((a, l) => guest.read(a, l), guest.blocks),
      { endian },
    );
    if (!found) continue;
    let scanned: string | undefined;
    try {
      scanned = archFromVmcoreinfo(parseVmcoreinfo(found.text));
    } catch {
      scanned = undefined;
    }
    const info = scanned === undefined ? undefined : dumpInfoForArch(scanned, guest.blocks);
    if (info && info.endian === endian) return info;
  }
  throw new VmcoreError(
    VmcoreErrorCode.InvalidArgument,
    'cannot tell the guest architecture: no CPU notes (--notes-from), no "arch" in the block map, and no VMCOREINFO note in the RAM naming one; pass --arch',
  );
}
