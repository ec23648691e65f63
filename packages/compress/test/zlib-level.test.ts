import { describe, expect, it } from 'vitest';
import { compressBatch, compressPage, decompressPage, checkZlibLevel, pakoZlib, nodeZlib } from '../src/index.js';

function textPage(): Uint8Array {
  const page = new Uint8Array(4096);
  const words = ['kernel', 'vmcore', 'page', 'dump', 'qemu', 'guest', 'memory'];
  let at = 0;
  for (let i = 0; at < page.length; i = (i * 7 + 3) % 101) {
    for (const c of `${words[i % words.length]}${i} `) if (at < page.length) page[at++] = c.charCodeAt(0);
  }
  return page;
}

describe('zlib level', () => {
  it('defaults to level 1 and decodes every level to the same page', () => {
    const page = textPage();
    const level1 = compressPage('zlib', page);
    const level9 = compressPage('zlib', page, { zlibLevel: 9 });
    expect(level1.bytes[0]).toBe(0x78);
    expect(level1.bytes[1]).toBe(0x01); // FLEVEL 0: the fastest, as compress2(Z_BEST_SPEED) writes
    expect(level9.bytes[1]).toBe(0xda); // FLEVEL 3: maximum compression
    expect(level9.bytes.length).toBeLessThanOrEqual(level1.bytes.length);
    expect(decompressPage('zlib', level9.bytes, 4096)).toEqual(page);
  });

  it('is honoured by both backends and by the batch compressor', () => {
    const page = textPage();
    for (const backend of [pakoZlib, nodeZlib()!]) {
      expect(backend.compress(page, 9)[1]).toBe(0xda);
    }
    const batch = compressBatch('zlib', page, 4096, { zlibLevel: 9 });
    expect(batch.data[1]).toBe(0xda);
  });

  it('rejects levels outside 1-9', () => {
    for (const level of [0, 10, 1.5, -1]) expect(() => checkZlibLevel(level)).toThrow(/zlib level/);
  });
});

describe('zlib level in worker threads', () => {
  it('gives the same bytes as the in-thread batch at that level', async () => {
    // The pool runs built JavaScript (dist/pool-worker.js), hence the dist import.
    const { PageCompressorPool } = await import('../dist/index.js');
    const page = textPage();
    const pool = new PageCompressorPool({ codec: 'zlib', workers: 1, zlibLevel: 9 });
    try {
      const fromPool = await pool.compressBatch(page, 4096);
      expect(fromPool.data).toEqual(compressBatch('zlib', page, 4096, { zlibLevel: 9 }).data);
      expect(fromPool.data[1]).toBe(0xda);
    } finally {
      await pool.close();
    }
  });
});
