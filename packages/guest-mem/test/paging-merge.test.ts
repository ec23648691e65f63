import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isVmcoreError } from '@vmcore/bytes';
import { MappingList } from '../src/paging/mapping-list.js';

const U64 = (1n << 64n) - 1n;

interface Ref {
  phys: bigint;
  virt: bigint;
  len: bigint;
}

/**
 * A line-by-line transliteration of QEMU's memory_mapping_list_add_merge_sorted()
 * (system/memory_mapping.c) over a plain array, u64 arithmetic included: the oracle the
 * indexed MappingList must match.
 */
class QemuList {
  list: Ref[] = [];
  last: Ref | undefined;

  add(phys: bigint, virt: bigint, length: bigint): void {
    if (this.list.length === 0) return this.create(phys, virt, length);
    const contiguous = (m: Ref) => phys === m.phys + m.len && virt === ((m.virt + m.len) & U64);
    if (this.last && contiguous(this.last)) {
      this.last.len += length;
      return;
    }
    for (const m of this.list) {
      if (contiguous(m)) {
        m.len += length;
        this.last = m;
        return;
      }
      if (phys + length < m.phys) break;
      if (!(phys + length < m.phys || phys >= m.phys + m.len)) {
        if (((virt - m.virt) & U64) !== ((phys - m.phys) & U64)) continue;
        if (virt < m.virt) {
          m.len = (m.len + m.virt - virt) & U64;
          m.virt = virt;
        }
        if (((virt + length) & U64) > ((m.virt + m.len) & U64)) m.len = (virt + length - m.virt) & U64;
        this.last = m;
        return;
      }
    }
    this.create(phys, virt, length);
  }

  private create(phys: bigint, virt: bigint, len: bigint): void {
    const m = { phys, virt, len };
    this.last = m;
    const at = this.list.findIndex((p) => p.phys >= phys);
    if (at < 0) this.list.push(m);
    else this.list.splice(at, 0, m);
  }

  result() {
    return this.list.map((m) => ({ physAddr: Number(m.phys), virtAddr: m.virt, length: Number(m.len) }));
  }
}

const PAGE = 4096;

function both(adds: readonly (readonly [number, bigint, number])[]) {
  const ours = new MappingList(1 << 20, 1 << 24);
  const ref = new QemuList();
  for (const [p, v, l] of adds) {
    ours.add(p, v, l);
    ref.add(BigInt(p), v, BigInt(l));
  }
  return { ours: ours.toArray(), ref: ref.result() };
}

describe('MappingList (memory_mapping_list_add_merge_sorted)', () => {
  it('extends the last mapping when both phys and virt continue it', () => {
    const { ours } = both([
      [0x1000, 0xffff888000001000n, PAGE],
      [0x2000, 0xffff888000002000n, PAGE],
      [0x3000, 0xffff888000003000n, PAGE],
    ]);
    expect(ours).toEqual([{ physAddr: 0x1000, virtAddr: 0xffff888000001000n, length: 3 * PAGE }]);
  });

  it('starts a new mapping when only phys is contiguous, and keeps the list sorted by phys', () => {
    const { ours } = both([
      [0x5000, 0xffff000000010000n, PAGE],
      [0x6000, 0xffff000000030000n, PAGE],
      [0x1000, 0xffff000000050000n, PAGE],
    ]);
    expect(ours).toEqual([
      { physAddr: 0x1000, virtAddr: 0xffff000000050000n, length: PAGE },
      { physAddr: 0x5000, virtAddr: 0xffff000000010000n, length: PAGE },
      { physAddr: 0x6000, virtAddr: 0xffff000000030000n, length: PAGE },
    ]);
  });

  it('absorbs a second walk of the same pages (two CPUs with one CR3) without duplicates', () => {
    const walk: [number, bigint, number][] = [
      [0x10000, 0xffffffff81000000n, PAGE],
      [0x11000, 0xffffffff81001000n, PAGE],
      [0x40000, 0xffff000000400000n, PAGE],
      [0x200000, 0xffff888000200000n, 0x200000],
    ];
    const { ours, ref } = both([...walk, ...walk]);
    expect(ours).toEqual(ref);
    expect(ours).toEqual([
      { physAddr: 0x10000, virtAddr: 0xffffffff81000000n, length: 2 * PAGE },
      { physAddr: 0x40000, virtAddr: 0xffff000000400000n, length: PAGE },
      { physAddr: 0x200000, virtAddr: 0xffff888000200000n, length: 0x200000 },
    ]);
  });

  it('puts a new mapping before existing ones with the same phys (newest first)', () => {
    const { ours } = both([
      [0x3000, 0xffff000000001000n, PAGE],
      [0x3000, 0xffff000000009000n, PAGE],
    ]);
    expect(ours.map((m) => m.virtAddr)).toEqual([0xffff000000009000n, 0xffff000000001000n]);
  });

  it("keeps QEMU's mapping_merge quirk: a page just below a mapping lowers virt but not phys", () => {
    const { ours, ref } = both([
      [0x5000, 0xffff000000005000n, PAGE],
      [0x9000, 0xffff000000100000n, PAGE],
      [0x4000, 0xffff000000004000n, PAGE],
    ]);
    expect(ours).toEqual(ref);
    expect(ours[0]).toEqual({ physAddr: 0x5000, virtAddr: 0xffff000000004000n, length: 2 * PAGE });
  });

  it('stops with VMCORE_TOO_LARGE beyond the mapping limit', () => {
    const list = new MappingList(3, 1000);
    for (let i = 0; i < 3; i++) list.add(i * 2 * PAGE, BigInt(i * 4 * PAGE), PAGE);
    let error: unknown;
    try {
      list.add(0x100000, 0x100000n, PAGE);
    } catch (e) {
      error = e;
    }
    expect(isVmcoreError(error, 'VMCORE_TOO_LARGE')).toBe(true);
    expect(String(error)).toMatch(/more than 3 mappings/);
  });

  it('matches the transliterated QEMU list on random page streams (property)', () => {
    // Small phys universe and few virt - phys deltas, so contiguity, overlaps, conflicts,
    // touching-below merges and re-walks are common; one base wraps at 2^64.
    const add = fc.tuple(
      fc.integer({ min: 0, max: 40 }),
      fc.oneof(fc.constantFrom(0, 3, 7), fc.integer({ min: -40, max: 40 })),
      fc.constantFrom(1, 1, 1, 2, 4, 16),
      fc.boolean(),
    );
    fc.assert(
      fc.property(fc.array(add, { maxLength: 120 }), fc.boolean(), (raw, replay) => {
        const adds = raw.map(([p, delta, pages, high]) => {
          const virtBase = high ? 0xfffffffffffc0000n : 0xffff000000100000n;
          return [p * PAGE, (virtBase + BigInt((p + delta) * PAGE)) & U64, pages * PAGE] as const;
        });
        const { ours, ref } = both(replay ? [...adds, ...adds] : adds);
        expect(ours).toEqual(ref);
      }),
      { numRuns: 400 },
    );
  });
});
