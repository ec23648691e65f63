/** One range of the "memory" address space as `info mtree -f` prints it. */
export interface MtreeRange {
  start: number;
  /** Inclusive, as printed. */
  end: number;
  priority: number;
  /** QEMU's memory_region_type(): 'ram' | 'rom' | 'ramd' | 'romd' | 'i/o' | … */
  type: string;
  /** The target region's name (aliases are resolved in a flat view). */
  region: string;
  /** Offset inside the target region (`@…`), 0 when not printed. */
  regionOffset: number;
}

/** A block of guest-physical memory that QEMU's dump contains. */
export interface PhysMapBlock {
  start: number;
  size: number;
  name: string;
  /** Whether the bytes come from the RAM file (the memory backend `ram`). */
  inRamFile: boolean;
  /** Offset of `start` in the RAM file, or null when the block is not in it (pc.bios, …). */
  offset: number | null;
}

/** The memory-backend id we give QEMU: its region carries that name in `info mtree`. */
export const RAM_BACKEND_ID = 'ram';

const LINE = /^\s+([0-9a-f]+)-([0-9a-f]+) \(prio (-?\d+), ([a-z/]+)\): (\S+)(?: @([0-9a-f]+))?/;

function hexNumber(text: string, what: string): number {
  const v = Number.parseInt(text, 16);
  if (!Number.isSafeInteger(v)) throw new Error(`info mtree -f: ${what} 0x${text} is not a safe integer`);
  return v;
}

/** The ranges of the flat view that serves `AS "memory"` (the system address space). */
export function parseMtreeFlat(text: string, addressSpace = 'memory'): MtreeRange[] {
  const views = text.split(/\n(?=FlatView #)/);
  const view = views.find((v) => v.split('\n').some((l) => l.trim().startsWith(`AS "${addressSpace}",`)));
  if (!view) throw new Error(`info mtree -f: no FlatView for AS "${addressSpace}"`);
  const out: MtreeRange[] = [];
  for (const line of view.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    out.push({
      start: hexNumber(m[1]!, 'start'),
      end: hexNumber(m[2]!, 'end'),
      priority: Number(m[3]),
      type: m[4]!,
      region: m[5]!,
      regionOffset: m[6] ? hexNumber(m[6], 'offset') : 0,
    });
  }
  if (out.length === 0) throw new Error(`info mtree -f: the FlatView for AS "${addressSpace}" lists no ranges`);
  return out;
}

/**
 * The blocks QEMU's dump holds, in QEMU's way (memory_mapping.c guest_phys_blocks_region_add):
 * RAM and ROM sections, not RAM devices; a section merges into the previous block when it
 * continues it both in guest-physical space and inside the same region.
 */
export function physMapFromMtree(ranges: MtreeRange[], ramRegion = RAM_BACKEND_ID): PhysMapBlock[] {
  const blocks: Array<PhysMapBlock & { region: string; regionEnd: number }> = [];
  for (const r of ranges) {
    if (r.type !== 'ram' && r.type !== 'rom') continue;
    const size = r.end - r.start + 1;
    const prev = blocks[blocks.length - 1];
    if (prev && prev.region === r.region && prev.start + prev.size === r.start && prev.regionEnd === r.regionOffset) {
      prev.size += size;
      prev.regionEnd += size;
      continue;
    }
    const inRamFile = r.region === ramRegion;
    blocks.push({
      start: r.start,
      size,
      name: r.regionOffset ? `${r.region}@0x${r.regionOffset.toString(16)}` : r.region,
      inRamFile,
      offset: inRamFile ? r.regionOffset : null,
      region: r.region,
      regionEnd: r.regionOffset + size,
    });
  }
  return blocks.map(({ start, size, name, inRamFile, offset }) => ({ start, size, name, inRamFile, offset }));
}
