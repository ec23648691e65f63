// The optional addon (@vmcore/compress-native) against the package's own codecs: what one
// writes the other reads, the page rules are the same, and the package works without it.
// This suite expects the addon where it is built (tools/deps/speed.list installs its libraries);
// run with VMCORE_NO_NATIVE=1 it checks the configuration without it instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  PAGE_CODECS,
  PAGE_COMPRESSED,
  PAGE_RAW,
  PAGE_ZERO,
  PageCompressorPool,
  compressBatch,
  decompressPage,
  nativeCodecs,
} from '../dist/index.js';
import { PAGE, equalBytes, native, realPages, samplePages } from './helpers.js';

const disabled = process.env.VMCORE_NO_NATIVE === '1';

function concat(pages: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pages.length * PAGE);
  pages.forEach((page, i) => out.set(page, i * PAGE));
  return out;
}

describe.skipIf(disabled)('with @vmcore/compress-native', () => {
  it('is loaded', () => {
    expect(nativeCodecs()?.libdeflateVersion).toMatch(/^1\./);
  });

  it.each(PAGE_CODECS)("%s: the addon's batches follow the page rule and decode with the TypeScript decoders", (codec) => {
    const pages = samplePages();
    const batch = compressBatch(codec, pages, PAGE);
    const ours = compressBatch(codec, pages, PAGE, { native: false });
    expect([...batch.kinds]).toEqual([...ours.kinds].map((k, i) => (i === 7 || k === PAGE_ZERO ? k : batch.kinds[i])));
    let at = 0;
    for (let i = 0; i < pages.length / PAGE; i++) {
      const page = pages.subarray(i * PAGE, (i + 1) * PAGE);
      const size = batch.sizes[i]!;
      const stored = batch.data.subarray(at, at + size);
      at += size;
      if (batch.kinds[i] === PAGE_ZERO) {
        expect(size).toBe(0);
        continue;
      }
      if (batch.kinds[i] === PAGE_RAW) {
        expect(equalBytes(stored, page)).toBe(true);
        continue;
      }
      expect(batch.kinds[i]).toBe(PAGE_COMPRESSED);
      expect(size).toBeLessThan(PAGE);
      expect(equalBytes(decompressPage(codec, stored, PAGE, { native: false }), page)).toBe(true);
    }
    expect(at).toBe(batch.data.length);
    expect(batch.kinds[7]).toBe(PAGE_RAW); // the random page
  });

  it.each(PAGE_CODECS)('%s: the addon decodes what the TypeScript codecs write', (codec) => {
    const pages = concat(realPages(32));
    const ours = compressBatch(codec, pages, PAGE, { native: false });
    let at = 0;
    for (let i = 0; i < 32; i++) {
      const size = ours.sizes[i]!;
      if (ours.kinds[i] === PAGE_COMPRESSED) {
        const page = decompressPage(codec, ours.data.subarray(at, at + size), PAGE);
        expect(equalBytes(page, pages.subarray(i * PAGE, (i + 1) * PAGE))).toBe(true);
      }
      at += size;
    }
  });

  it("zlib: libdeflate's pages inflate with the system zlib, and are no larger than zlib's level 1 (+1%)", () => {
    const pages = realPages(256);
    const batch = compressBatch('zlib', concat(pages), PAGE);
    const streams: Uint8Array[] = [];
    const originals: Uint8Array[] = [];
    let at = 0;
    for (let i = 0; i < pages.length; i++) {
      const size = batch.sizes[i]!;
      if (batch.kinds[i] === PAGE_COMPRESSED) {
        streams.push(batch.data.subarray(at, at + size));
        originals.push(pages[i]!);
      }
      at += size;
    }
    expect(streams.length).toBeGreaterThan(128);
    const inflated = native('unzlib', streams);
    inflated.forEach((page, i) => expect(page && equalBytes(page, originals[i]!), `stream ${i}`).toBe(true));
    const zlibTotal = pages.reduce((sum, page) => sum + Math.min(PAGE, deflateSync(page, { level: 1 }).length), 0);
    expect(batch.data.length).toBeLessThanOrEqual(zlibTotal * 1.01);
  });

  it("a stream the addon rejects gets the TypeScript decoder's error", () => {
    expect(() => decompressPage('lzo', new Uint8Array([0x11, 0, 0, 7]), PAGE)).toThrow(/after the end marker/);
    expect(() => decompressPage('zlib', new Uint8Array([0x78, 0x01, 0xff]), PAGE)).toThrow(/VMCORE_CODEC|zlib/);
  });

  it('workers use it too, and `native: false` keeps the TypeScript path in workers', async () => {
    const pages = concat(realPages(64));
    const withAddon = new PageCompressorPool({ codec: 'zlib', workers: 1 });
    const without = new PageCompressorPool({ codec: 'zlib', workers: 1, native: false });
    try {
      const [a, b] = await Promise.all([withAddon.compressBatch(pages, PAGE), without.compressBatch(pages, PAGE)]);
      expect(equalBytes(a.data, compressBatch('zlib', pages, PAGE).data)).toBe(true);
      expect(equalBytes(b.data, compressBatch('zlib', pages, PAGE, { native: false }).data)).toBe(true);
      expect(equalBytes(a.data, b.data)).toBe(false); // libdeflate's bytes are not zlib's
    } finally {
      await Promise.all([withAddon.close(), without.close()]);
    }
  });
});

describe('without @vmcore/compress-native (VMCORE_NO_NATIVE=1)', () => {
  // VMCORE_NO_WASM=1 too: else zlib pages are the WebAssembly libdeflate's (wasm.test.ts).
  it('the package runs on its own codecs, in threads and workers', () => {
    const script = `
      import { nativeCodecs, compressBatch, decompressPage, PageCompressorPool } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      import { deflateSync } from 'node:zlib';
      if (nativeCodecs() !== undefined) throw new Error('addon loaded despite VMCORE_NO_NATIVE=1');
      const page = new Uint8Array(4096).map((_, i) => 0x41 + (i % 23));
      const pages = new Uint8Array(8192); pages.set(page, 4096);
      const batch = compressBatch('zlib', pages, 4096);
      const pool = new PageCompressorPool({ codec: 'zlib', workers: 1 });
      const fromWorker = await pool.compressBatch(pages, 4096);
      await pool.close();
      const zlibBytes = deflateSync(page, { level: 1 });
      const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
      if (!same(batch.data, zlibBytes) || !same(fromWorker.data, zlibBytes)) throw new Error('not node:zlib output');
      if (!same(decompressPage('zlib', batch.data, 4096), page)) throw new Error('round trip failed');
      console.log('ok', batch.kinds.join(','));
    `;
    // A file, not --input-type: workers inherit the process's exec arguments.
    const dir = mkdtempSync(join(tmpdir(), 'vmcore-no-native-'));
    const file = join(dir, 'check.mjs');
    writeFileSync(file, script);
    const run = spawnSync(process.execPath, [file], {
      env: { ...process.env, VMCORE_NO_NATIVE: '1', VMCORE_NO_WASM: '1' },
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    });
    rmSync(dir, { recursive: true, force: true });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('ok 0,1');
  });
});
