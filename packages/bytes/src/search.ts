/**
 * The one binary search of the vmcore packages. `before(i)` must be true for a prefix of
 * [0, length) and false after it; the result is the first index where it is false (`length`
 * when it is true everywhere). O(log length) calls of `before`.
 */
export function partitionPoint(length: number, before: (index: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Index of the range that contains `value` among `length` sorted, disjoint half-open ranges
 * [startAt(i), endAt(i)), or -1 when none does.
 */
export function findRange(length: number, value: number, startAt: (index: number) => number, endAt: (index: number) => number): number {
  const i = partitionPoint(length, (j) => endAt(j) <= value);
  return i < length && startAt(i) <= value ? i : -1;
}
