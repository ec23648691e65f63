import { describe, expect, it } from 'vitest';
import { elfSegments } from '../src/elf-exclude.js';

const P = 4096;
const pages = (n: number) => n * P;

describe('elfSegments (makedumpfile write_elf_pages_cyclic)', () => {
  it('keeps one segment when nothing is excluded', () => {
    expect(elfSegments({ start: 0, size: pages(10) }, P, () => false)).toEqual([{ physAddr: 0, memSize: pages(10), fileSize: pages(10) }]);
  });

  it('writes runs of fewer than 256 excluded pages and splits at 256 or more', () => {
    const excluded = (pfn: number) => (pfn >= 10 && pfn < 265) || (pfn >= 300 && pfn < 556);
    expect(elfSegments({ start: 0, size: pages(600) }, P, excluded)).toEqual([
      // 10 dumped, then 255 excluded (written), then 35 dumped: one segment up to the 256-page gap
      { physAddr: 0, memSize: pages(300 + 256), fileSize: pages(300) },
      { physAddr: pages(556), memSize: pages(44), fileSize: pages(44) },
    ]);
  });

  it('ends with a memory-only tail when the block ends in excluded pages', () => {
    expect(elfSegments({ start: pages(16), size: pages(8) }, P, (pfn) => pfn >= 20)).toEqual([
      { physAddr: pages(16), memSize: pages(8), fileSize: pages(4) },
    ]);
  });

  it('counts a partial first and last page as makedumpfile does', () => {
    expect(elfSegments({ start: 0x800, size: P + 0x400 }, P, () => false)).toEqual([
      { physAddr: 0x800, memSize: P + 0x400, fileSize: P + 0x400 },
    ]);
  });
});
