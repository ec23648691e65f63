import { describe, expect, it } from 'vitest';
import { DataCache } from '../src/data-cache.js';

describe('DataCache without waiting', () => {
  it('fills the current buffer, refuses what does not fit without side effects, and writes once per flush', async () => {
    const writes: Array<[number, number[]]> = [];
    const cache = new DataCache({ write: async (offset, bytes) => void writes.push([offset, [...bytes]]) }, 100, 8);
    expect(cache.appendNow(new Uint8Array([1, 2, 3]))).toBe(true);
    const slot = cache.reserveNow(2)!;
    slot.buffer.set([4, 5], slot.at);
    expect(cache.position).toBe(105);
    expect(cache.appendNow(new Uint8Array([6, 7, 8, 9]))).toBe(false);
    expect(cache.reserveNow(4)).toBeUndefined();
    expect(cache.position).toBe(105);
    expect(writes).toEqual([]);
    await cache.append(new Uint8Array([6, 7, 8, 9]));
    await cache.flush();
    expect(writes).toEqual([
      [100, [1, 2, 3, 4, 5]],
      [105, [6, 7, 8, 9]],
    ]);
  });
});
