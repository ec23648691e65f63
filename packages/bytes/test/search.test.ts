import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findRange, partitionPoint } from '../src/index.js';

describe('partitionPoint and findRange', () => {
  it('finds the first index where the predicate turns false, as a linear scan would', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 })), fc.integer({ min: -1, max: 101 }), (values, x) => {
        const sorted = [...values].sort((a, b) => a - b);
        const linear = sorted.findIndex((v) => !(v < x));
        expect(partitionPoint(sorted.length, (i) => sorted[i]! < x)).toBe(linear === -1 ? sorted.length : linear);
      }),
    );
  });

  it('finds the range that holds a value among sorted disjoint ranges, or -1', () => {
    const ranges = [
      { start: 0, end: 10 },
      { start: 20, end: 30 },
      { start: 30, end: 31 },
    ];
    const find = (v: number) =>
      findRange(
        ranges.length,
        v,
        (i) => ranges[i]!.start,
        (i) => ranges[i]!.end,
      );
    expect([0, 9, 10, 19, 20, 29, 30, 31, -1].map(find)).toEqual([0, 0, -1, -1, 1, 1, 2, -1, -1]);
    expect(
      findRange(
        0,
        5,
        () => 0,
        () => 10,
      ),
    ).toBe(-1);
  });
});
