// The benchmark's parts, so `bench codecs` does not rot: the native helper builds and measures
// the same pages our codecs see, and the table formats. (The benchmark itself is not a test.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_RAW, compressBatch } from '@vmcore/compress';
import { binaryPages } from '../src/lib/pages.js';
import { compileNative, runJson } from '../src/lib/native.js';
import { formatTable } from '../src/lib/table.js';

const dir = mkdtempSync(join(tmpdir(), 'vmcore-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench parts', () => {
  it('cuts whole pages from /usr/bin binaries', () => {
    const pages = binaryPages(64 * 4096 + 100);
    expect(pages.length).toBe(64 * 4096);
    expect(pages.some((b) => b !== 0)).toBe(true);
  });

  it.each(['zlib', 'lzo', 'snappy'] as const)('the native helper times %s on the pages and round-trips them', (codec) => {
    const pages = binaryPages(64 * 4096);
    const file = join(dir, 'pages.bin');
    writeFileSync(file, pages);
    const result = runJson<Record<string, number>>(compileNative('codec-bench', ['z', 'lzo2', 'snappy']), [codec, file, '4096', '1']);
    expect(result.inputBytes).toBe(pages.length);
    expect(result.compressSeconds).toBeGreaterThan(0);
    // Same pages decoded (stored compressed, zero pages included) natively as ours would, give or take a few.
    const ours = compressBatch(codec, pages, 4096);
    const oursCompressed = [...ours.kinds].filter((k) => k !== PAGE_RAW).length;
    expect(Math.abs(result.decompressedBytes! / 4096 - oursCompressed)).toBeLessThanOrEqual(3);
  });

  it('formats a table with a header rule and right-aligned numbers', () => {
    expect(
      formatTable([
        ['codec', 'MB/s'],
        ['lzo', 123.456],
        ['zlib', 5.5],
      ]),
    ).toBe(['codec  MB/s', '-----  ----', 'lzo     123', 'zlib   5.50'].join('\n'));
  });
});
