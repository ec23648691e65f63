import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import type { PhysBlock } from '@vmcore/guest-mem';
import { DL_EXCLUDE_CACHE, DL_EXCLUDE_CACHE_PRI, DL_EXCLUDE_FREE, DL_EXCLUDE_USER_DATA, checkDumpLevel } from './dump-level.js';
import type { KernelInfo } from './kernel-info.js';
import type { LinuxKernel } from './kernel.js';
import { readMemMap } from './mem-map.js';

/** Pages left out, per makedumpfile class (its pfn_cache, pfn_cache_private, pfn_user, pfn_free, pfn_hwpoison, pfn_offline). */
export interface ExcludedPageCounts {
  cache: number;
  cachePrivate: number;
  user: number;
  free: number;
  hwpoison: number;
  offline: number;
  /** Pages at or above the end of the kernel's mem_map (ROM, hot-unplugged memory): makedumpfile's max_mapnr stops there. */
  outsideMemMap: number;
}

/** The pages a dump level leaves out of a guest, as a bitmap over pfns [0, maxMapnr). */
export interface PageExclusion {
  readonly dumpLevel: number;
  /** Pages the guest's blocks span: the last block's end rounded up to a page. */
  readonly maxMapnr: number;
  /** makedumpfile's adjusted max_mapnr: the end of the last section that has a mem_map. */
  readonly memMapEnd: number;
  /** Bit pfn % 8 of byte pfn / 8 set: page pfn is left out. */
  readonly bitmap: Uint8Array;
  readonly counts: Readonly<ExcludedPageCounts>;
  /** Sum of counts. */
  readonly excludedPages: number;
  excludes(pfn: number): boolean;
}

export interface ClassifyOptions {
  /** makedumpfile's -d: 0-31. Zero pages (bit 1) are not decided here: a writer sees them as it reads. */
  readonly dumpLevel: number;
  /**
   * The guest-physical ranges the dump covers (default: the kernel's blocks). A filtered kdump
   * file's guest holds only the dumped pages; pass its first bitmap to classify every page.
   */
  readonly blocks?: readonly PhysBlock[];
  /** Warnings makedumpfile prints and carries on from (an invalid free-page order). */
  readonly onWarning?: (message: string) => void;
}

/** makedumpfile's PGMM_CACHED: struct pages are read 512 at a time, in aligned windows. */
const PGMM_CACHED = 512;
const NOT_FOUND = undefined;

interface PageLayout {
  size: number;
  flags: number;
  mapping: number;
  compoundHead: number | undefined;
  mapcount: number | undefined;
  private: number | undefined;
  orderOffset: number;
  dtorOffset: number;
  /** Width of compound_order / compound_dtor in bytes (1 since 4.16, 2 since 4.4, dtor a pointer before). */
  orderWidth: 1 | 2;
  dtorWidth: 1 | 2 | 4 | 8;
}

function pageLayout(info: KernelInfo, wordSize: 4 | 8): PageLayout {
  // get_mem_type(): without these makedumpfile cannot tell the memory type at all.
  const size = info.size('page');
  const flags = info.offset('page.flags');
  info.offset('page._refcount');
  const mapping = info.offset('page.mapping');
  const version = info.kernelVersion() ?? [0, 0, 0];
  const atLeast = (a: number, b: number) => version[0] > a || (version[0] === a && version[1] >= b);
  const lru = info.optionalOffset('page.lru');
  const listNext = info.optionalOffset('list_head.next');
  const listPrev = info.optionalOffset('list_head.prev');
  const old = !atLeast(4, 4);
  const orderOffset =
    info.optionalOffset('page.compound_order') ?? (old && lru !== NOT_FOUND && listPrev !== NOT_FOUND ? lru + listPrev : 0);
  const dtorOffset = info.optionalOffset('page.compound_dtor') ?? (old && lru !== NOT_FOUND && listNext !== NOT_FOUND ? lru + listNext : 0);
  return {
    size,
    flags,
    mapping,
    compoundHead: info.optionalOffset('page.compound_head'),
    mapcount: info.optionalOffset('page._mapcount'),
    private: info.optionalOffset('page.private'),
    orderOffset,
    dtorOffset,
    orderWidth: atLeast(4, 16) ? 1 : 2,
    dtorWidth: atLeast(4, 16) ? 1 : atLeast(4, 4) ? 2 : wordSize,
  };
}

/** A NUMBER() that must fit a C int (page flag bits, mapcount values). */
function int(info: KernelInfo, name: string): number {
  return Number(BigInt.asIntN(32, info.number(name)));
}

function optionalInt(info: KernelInfo, name: string): number | undefined {
  const v = info.optionalNumber(name);
  return v === undefined ? undefined : Number(BigInt.asIntN(32, v));
}

function presentPfns(blocks: readonly PhysBlock[], pageSize: number): Array<{ start: number; end: number }> {
  // create_bitmap_from_memhole(): each PT_LOAD gives pfns [paddr_to_pfn(start), paddr_to_pfn(end)).
  return blocks
    .map((b) => ({ start: Math.floor(b.start / pageSize), end: Math.floor((b.start + b.size) / pageSize) }))
    .filter((r) => r.end > r.start);
}

/**
 * Which pages a dump level leaves out, decided exactly as makedumpfile 1.7.2's
 * __exclude_unnecessary_pages() does from the guest's struct pages (mem_map), walked section by
 * section in 512-page windows: compound tail pages are skipped (their head decides for them);
 * free pages (buddy: _mapcount == PAGE_BUDDY_MAPCOUNT_VALUE, not PG_slab) with their order;
 * page-cache pages (PG_lru, or PG_swapcache with PG_swapbacked) without or with PG_private and
 * not anonymous; user data (anonymous mapping, or a hugetlbfs head by its compound_dtor);
 * then, whatever the level, PG_hwpoison pages and logically offline pages. Like makedumpfile,
 * pages above the last section with a mem_map are left out too.
 * Memory: one bit per guest page, plus one 512-page window of struct pages.
 */
export async function classifyPages(kernel: LinuxKernel, options: ClassifyOptions): Promise<PageExclusion> {
  const level = checkDumpLevel(options.dumpLevel);
  const info = kernel.info.for(`dump level ${level}`);
  const pageSize = kernel.pageSize;
  const blocks = options.blocks ?? kernel.blocks;
  const present = presentPfns(blocks, pageSize);
  const lastBlock = blocks.reduce((end, b) => Math.max(end, b.start + b.size), 0);
  const maxMapnr = Math.ceil(lastBlock / pageSize);
  const bitmap = new Uint8Array(Math.ceil(maxMapnr / 8));
  const counts: ExcludedPageCounts = { cache: 0, cachePrivate: 0, user: 0, free: 0, hwpoison: 0, offline: 0, outsideMemMap: 0 };
  let presentAt = 0;
  const isPresent = (pfn: number): boolean => {
    // pfns are asked in ascending order within a section: keep a cursor, rewind when needed.
    if (presentAt > 0 && present[presentAt - 1]!.end > pfn) presentAt = 0;
    while (presentAt < present.length && present[presentAt]!.end <= pfn) presentAt++;
    const r = present[presentAt];
    return r !== undefined && r.start <= pfn;
  };
  const exclude = (pfn: number, counter: keyof ExcludedPageCounts) => {
    if (pfn >= maxMapnr || !isPresent(pfn)) return;
    const bit = 1 << (pfn & 7);
    if (bitmap[pfn >> 3]! & bit) return;
    bitmap[pfn >> 3]! |= bit;
    counts[counter]++;
  };

  const layout = pageLayout(info, kernel.wordSize);
  const sections = await readMemMap(kernel.memory, info, maxMapnr, pageSize, kernel.wordSize);
  let memMapEnd = 0;
  for (const s of sections) if (s.memMap !== undefined) memMapEnd = Math.max(memMapEnd, s.pfnEnd);
  if (memMapEnd === 0) memMapEnd = maxMapnr;

  // Which classes need which entries: named in the error when missing.
  const pgLru = level & (DL_EXCLUDE_CACHE | DL_EXCLUDE_CACHE_PRI) ? int(info, 'PG_lru') : -1;
  const pgPrivate = level & (DL_EXCLUDE_CACHE | DL_EXCLUDE_CACHE_PRI) ? int(info, 'PG_private') : -1;
  const pgSwapcache = level & (DL_EXCLUDE_CACHE | DL_EXCLUDE_CACHE_PRI) ? int(info, 'PG_swapcache') : -1;
  const pgSwapbacked = optionalInt(info, 'PG_swapbacked');
  const pgHwpoison = optionalInt(info, 'PG_hwpoison');
  const headMask = optionalInt(info, 'PG_head_mask');
  const hugetlbDtor = optionalInt(info, 'HUGETLB_PAGE_DTOR');
  const freeHugePage = info.optionalSymbol('free_huge_page');
  const offlineValue = optionalInt(info, 'PAGE_OFFLINE_MAPCOUNT_VALUE');
  const pgSlabOptional = optionalInt(info, 'PG_slab');
  const freeAreaLength = info.optionalLength('zone.free_area');
  // setup_page_is_buddy(): PG_buddy (2.6.17-2.6.37), else PAGE_BUDDY_MAPCOUNT_VALUE with _mapcount.
  let buddy: ((lo: number, hi: number, mapcount: number) => boolean) | undefined;
  if (level & DL_EXCLUDE_FREE) {
    const pgBuddy = optionalInt(info, 'PG_buddy');
    if (layout.private !== undefined && pgBuddy !== undefined) {
      buddy = (lo, hi) => testBit(lo, hi, pgBuddy);
    } else if (
      layout.private !== undefined &&
      layout.mapcount !== undefined &&
      info.optionalNumber('PAGE_BUDDY_MAPCOUNT_VALUE') !== undefined
    ) {
      const buddyValue = int(info, 'PAGE_BUDDY_MAPCOUNT_VALUE');
      const pgSlab = int(info, 'PG_slab');
      buddy = (lo, hi, mapcount) => !testBit(lo, hi, pgSlab) && mapcount === buddyValue;
    } else {
      // makedumpfile would walk the zones' free lists instead (exclude_free_page()); not done here.
      const missing =
        layout.private === undefined
          ? 'OFFSET(page.private)'
          : layout.mapcount === undefined
            ? 'OFFSET(page._mapcount)'
            : 'NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)';
      throw new VmcoreError(VmcoreErrorCode.Unsupported, `VMCOREINFO has no ${missing}, which dump level ${level} (free pages) needs`);
    }
  }
  const isCache = (lo: number, hi: number) =>
    testBit(lo, hi, pgLru) || ((pgSwapbacked === undefined || testBit(lo, hi, pgSwapbacked)) && testBit(lo, hi, pgSwapcache));
  const isHugetlb = (dtor: bigint) =>
    (hugetlbDtor !== undefined && BigInt(hugetlbDtor) === dtor) || (freeHugePage !== undefined && freeHugePage === dtor);
  const isOffline = (lo: number, hi: number, mapcount: number) =>
    offlineValue !== undefined && !(pgSlabOptional !== undefined && testBit(lo, hi, pgSlabOptional)) && mapcount === offlineValue;

  // create_2nd_bitmap(): the struct pages are looked at only when something can come of it.
  const walk =
    (level & (DL_EXCLUDE_CACHE | DL_EXCLUDE_CACHE_PRI | DL_EXCLUDE_USER_DATA)) !== 0 || pgHwpoison !== undefined || buddy !== undefined;
  const endian = kernel.memory.endian;
  const le = endian === 'le';
  const wordSize = kernel.wordSize;

  if (walk) {
    for (const section of sections) {
      if (section.memMap === undefined) continue;
      const { pfnStart, pfnEnd } = section;
      let window: DataView | undefined;
      let windowStart = -1;
      let windowEnd = -1;
      for (let pfn = pfnStart; pfn < pfnEnd; pfn++) {
        if (!isPresent(pfn)) continue;
        const indexPg = pfn % PGMM_CACHED;
        if (pfn < windowStart || pfn > windowEnd) {
          const count = Math.min(PGMM_CACHED - indexPg, pfnEnd - pfn);
          const addr = section.memMap + BigInt((pfn - pfnStart) * layout.size);
          const bytes = await kernel.memory.read(addr, count * layout.size, `struct page of pfn 0x${pfn.toString(16)}`);
          window = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          windowStart = pfn;
          windowEnd = pfn + count - 1;
        }
        const at = (pfn - windowStart) * layout.size;
        const w = window!;
        const lo = word32(w, at + layout.flags, 0, wordSize, le);
        const hi = wordSize === 8 ? word32(w, at + layout.flags, 1, wordSize, le) : 0;
        const mapping = word32(w, at + layout.mapping, 0, wordSize, le);

        let order = 0;
        let dtor = 0n;
        const isHead = headMask !== undefined && (headMask & lo) !== 0;
        if (indexPg < PGMM_CACHED - 1 && isHead && pfn + 1 <= windowEnd) {
          const next = at + layout.size;
          if (layout.orderOffset)
            order = layout.orderWidth === 1 ? w.getUint8(next + layout.orderOffset) : w.getUint16(next + layout.orderOffset, le);
          if (layout.dtorOffset) dtor = readUnsigned(w, next + layout.dtorOffset, layout.dtorWidth, le);
          if (order >= wordSize * 8 || pfn % 2 ** order !== 0) order = 0;
        }
        const compoundHead = layout.compoundHead !== undefined ? word32(w, at + layout.compoundHead, 0, wordSize, le) : 0;
        const mapcount = layout.mapcount !== undefined ? w.getInt32(at + layout.mapcount, le) : 0;
        let nrPages = 2 ** order;
        let counter: keyof ExcludedPageCounts;

        if (compoundHead & 1) {
          continue; // a tail page: its head's exclusion already covered it
        } else if (buddy && buddy(lo, hi, mapcount)) {
          const priv = readUnsigned(w, at + layout.private!, wordSize, le);
          if (freeAreaLength !== undefined && priv >= BigInt(freeAreaLength)) {
            options.onWarning?.(`invalid free page order: pfn=0x${pfn.toString(16)}, order=${priv}, max order=${freeAreaLength - 1}`);
            continue;
          }
          nrPages = 2 ** Number(priv);
          counter = 'free';
        } else if (level & DL_EXCLUDE_CACHE && isCache(lo, hi) && !testBit(lo, hi, pgPrivate) && !(mapping & 1)) {
          counter = 'cache';
        } else if (level & DL_EXCLUDE_CACHE_PRI && isCache(lo, hi) && !(mapping & 1)) {
          counter = testBit(lo, hi, pgPrivate) ? 'cachePrivate' : 'cache';
        } else if (level & DL_EXCLUDE_USER_DATA && (mapping & 1 || isHugetlb(dtor))) {
          counter = 'user';
        } else if (pgHwpoison !== undefined && testBit(lo, hi, pgHwpoison)) {
          counter = 'hwpoison';
        } else if (isOffline(lo, hi, mapcount)) {
          counter = 'offline';
        } else {
          continue;
        }
        // exclude_range(): the whole compound page or buddy block, then continue after it.
        for (let p = pfn; p < pfn + nrPages; p++) exclude(p, counter);
        pfn += nrPages - 1;
      }
    }
  }
  for (let pfn = memMapEnd; pfn < maxMapnr; pfn++) exclude(pfn, 'outsideMemMap');
  const excludedPages = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    dumpLevel: level,
    maxMapnr,
    memMapEnd,
    bitmap,
    counts,
    excludedPages,
    excludes: (pfn: number) => pfn < maxMapnr && (bitmap[pfn >> 3]! & (1 << (pfn & 7))) !== 0,
  };
}

function testBit(lo: number, hi: number, bit: number): boolean {
  if (bit < 0) return false;
  return bit < 32 ? ((lo >>> bit) & 1) === 1 : ((hi >>> (bit - 32)) & 1) === 1;
}

/** Half `half` (0 low, 1 high) of an unsigned long at `at`. */
function word32(view: DataView, at: number, half: 0 | 1, wordSize: 4 | 8, le: boolean): number {
  if (wordSize === 4) return half === 0 ? view.getUint32(at, le) : 0;
  const lowAt = le ? at : at + 4;
  const highAt = le ? at + 4 : at;
  return view.getUint32(half === 0 ? lowAt : highAt, le);
}

function readUnsigned(view: DataView, at: number, width: 1 | 2 | 4 | 8, le: boolean): bigint {
  switch (width) {
    case 1:
      return BigInt(view.getUint8(at));
    case 2:
      return BigInt(view.getUint16(at, le));
    case 4:
      return BigInt(view.getUint32(at, le));
    case 8:
      return view.getBigUint64(at, le);
  }
}
