import { VmcoreError, VmcoreErrorCode, hex, partitionPoint } from '@vmcore/bytes';
import type { MemoryMapping } from '../model.js';

const U64 = (1n << 64n) - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A delta group with more than one member: ids in list order (phys ascending, newest first). */
interface Group {
  ids: number[];
  maxLen: number;
}

/**
 * QEMU's MemoryMappingList filled by memory_mapping_list_add_merge_sorted()
 * (system/memory_mapping.c), with the same result, including its quirks:
 * - the list is kept sorted by phys_addr; a new mapping goes before every existing one
 *   with phys_addr >= its own, so equal phys_addr means newest first;
 * - last_mapping is tried first; then the list is scanned from its head and the first
 *   mapping that is contiguous (phys and virt) or overlaps (phys, touching-before counts)
 *   with the same virt - phys delta absorbs the new range;
 * - mapping_merge() lowers virt_addr without lowering phys_addr;
 * - nothing is ever coalesced afterwards, so mappings may overlap.
 *
 * QEMU scans the whole list for every add (O(n²)); here mappings are indexed by their
 * virt - phys delta, the only ones the scan can pick, so an add costs O(log n) in practice.
 */
export class MappingList {
  private phys = new Float64Array(1024);
  private len = new Float64Array(1024);
  private virt = new BigUint64Array(1024);
  private count = 0;
  private last = -1;
  /** delta → a single id, or a Group once two mappings share the delta. */
  private readonly groups = new Map<bigint, number | Group>();
  private scanSteps = 0;

  constructor(
    private readonly maxMappings: number,
    private readonly maxScanSteps: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** memory_mapping_list_add_merge_sorted(list, phys, virt, length); phys is a RAM address. */
  add(phys: number, virt: bigint, length: number): void {
    const last = this.last;
    if (last >= 0 && this.contiguous(last, phys, virt)) {
      this.setLength(last, this.len[last]! + length);
      return;
    }
    const found = this.firstMatch(phys, virt, length);
    if (found < 0) {
      this.create(phys, virt, length);
      return;
    }
    if (this.contiguous(found, phys, virt)) this.setLength(found, this.len[found]! + length);
    else this.merge(found, virt, length);
    this.last = found;
  }

  /** The mappings in QEMU's list order. */
  toArray(): MemoryMapping[] {
    const order = Array.from({ length: this.count }, (_, i) => i);
    const phys = this.phys;
    order.sort((a, b) => phys[a]! - phys[b]! || b - a);
    return order.map((id) => ({ physAddr: phys[id]!, virtAddr: this.virt[id]!, length: this.len[id]! }));
  }

  private contiguous(id: number, phys: number, virt: bigint): boolean {
    return phys === this.phys[id]! + this.len[id]! && virt === ((this.virt[id]! + BigInt(this.len[id]!)) & U64);
  }

  /**
   * The first mapping in list order the QEMU scan would take: same delta, starts at or before
   * phys + length, ends at or after phys (contiguous or overlapping).
   */
  private firstMatch(phys: number, virt: bigint, length: number): number {
    const group = this.groups.get((virt - BigInt(phys)) & U64);
    if (group === undefined) return -1;
    if (typeof group === 'number') return this.candidate(group, phys, length) ? group : -1;
    const ids = group.ids;
    const end = phys + length;
    for (let i = this.lowerBound(ids, phys - group.maxLen, Infinity); i < ids.length; i++) {
      const id = ids[i]!;
      if (this.phys[id]! > end) break;
      if (++this.scanSteps > this.maxScanSteps) {
        throw new VmcoreError(
          VmcoreErrorCode.TooLarge,
          `paging memory mappings: more than ${this.maxScanSteps} merge steps; the guest page tables are absurd`,
        );
      }
      if (this.phys[id]! + this.len[id]! >= phys) return id;
    }
    return -1;
  }

  private candidate(id: number, phys: number, length: number): boolean {
    return this.phys[id]! <= phys + length && this.phys[id]! + this.len[id]! >= phys;
  }

  /** mapping_merge(): may extend downwards in virt only, leaving phys_addr where it was. */
  private merge(id: number, virt: bigint, length: number): void {
    let mVirt = this.virt[id]!;
    let mLen = BigInt(this.len[id]!);
    const oldDelta = this.delta(id);
    if (virt < mVirt) {
      mLen = (mLen + mVirt - virt) & U64;
      mVirt = virt;
    }
    if (((virt + BigInt(length)) & U64) > ((mVirt + mLen) & U64)) mLen = (virt + BigInt(length) - mVirt) & U64;
    if (mLen > MAX_SAFE || this.phys[id]! + Number(mLen) > Number.MAX_SAFE_INTEGER) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `paging memory mappings: merging virt ${hex(virt)} into the mapping at phys ${hex(this.phys[id]!)} gives length ${hex(mLen)}`,
      );
    }
    if (mVirt !== this.virt[id]!) {
      this.unindex(id, oldDelta);
      this.virt[id] = mVirt;
      this.setLength(id, Number(mLen));
      this.index(id);
    } else {
      this.setLength(id, Number(mLen));
    }
  }

  private create(phys: number, virt: bigint, length: number): void {
    if (this.count >= this.maxMappings) {
      throw new VmcoreError(
        VmcoreErrorCode.TooLarge,
        `paging memory mappings: more than ${this.maxMappings} mappings (at phys ${hex(phys)}, virt ${hex(virt)}); the guest page tables are absurd`,
      );
    }
    if (this.count === this.phys.length) this.grow();
    const id = this.count++;
    this.phys[id] = phys;
    this.virt[id] = virt;
    this.len[id] = length;
    this.index(id);
    this.last = id;
  }

  private setLength(id: number, length: number): void {
    this.len[id] = length;
    const group = this.groups.get(this.delta(id));
    if (group !== undefined && typeof group !== 'number' && length > group.maxLen) group.maxLen = length;
  }

  private delta(id: number): bigint {
    return (this.virt[id]! - BigInt(this.phys[id]!)) & U64;
  }

  private index(id: number): void {
    const key = this.delta(id);
    const group = this.groups.get(key);
    if (group === undefined) {
      this.groups.set(key, id);
    } else if (typeof group === 'number') {
      const ids = this.precedes(id, group) ? [id, group] : [group, id];
      this.groups.set(key, { ids, maxLen: Math.max(this.len[id]!, this.len[group]!) });
    } else {
      group.ids.splice(this.lowerBound(group.ids, this.phys[id]!, id), 0, id);
      group.maxLen = Math.max(group.maxLen, this.len[id]!);
    }
  }

  private unindex(id: number, key: bigint): void {
    const group = this.groups.get(key);
    if (typeof group === 'number') {
      this.groups.delete(key);
    } else if (group !== undefined) {
      group.ids.splice(this.lowerBound(group.ids, this.phys[id]!, id), 1);
      if (group.ids.length === 1) this.groups.set(key, group.ids[0]!);
    }
  }

  /** List order: phys ascending, then newest (highest id) first. */
  private precedes(a: number, b: number): boolean {
    return this.phys[a]! < this.phys[b]! || (this.phys[a]! === this.phys[b]! && a > b);
  }

  /** First position whose entry is not before (phys, id) in list order. */
  private lowerBound(ids: readonly number[], phys: number, id: number): number {
    return partitionPoint(ids.length, (i) => {
      const other = ids[i]!;
      return this.phys[other]! < phys || (this.phys[other]! === phys && other > id);
    });
  }

  private grow(): void {
    const size = this.phys.length * 2;
    const phys = new Float64Array(size);
    const len = new Float64Array(size);
    const virt = new BigUint64Array(size);
    phys.set(this.phys);
    len.set(this.len);
    virt.set(this.virt);
    this.phys = phys;
    this.len = len;
    this.virt = virt;
  }
}
