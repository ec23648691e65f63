// `bench codecs`: our page codecs against the C libraries QEMU links, on 4 KiB pages of real
// binaries, measured in the same run; then PageCompressorPool throughput vs in-thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PageCompressorPool,
  compressBatch,
  decompressPage,
  lzo1xCompress,
  nodeZlib,
  pakoZlib,
  nativeCodecs,
  snappyCompress,
  wasmZlib,
  type PageCodec,
} from '@vmcore/compress';
import { compileNative, runJson } from './lib/native.js';
import { binaryPages, writePagesFile } from './lib/pages.js';
import { formatTable, mbPerSecond } from './lib/table.js';
import { bestOf, bestOfAsync } from './lib/time.js';

export interface CodecBenchOptions {
  /** MiB of pages (default 32). */
  mib: number;
  /** Timed runs per measurement; the best counts (default 5). */
  runs: number;
  pageSize: number;
}

interface NativeResult {
  compressSeconds: number;
  decompressSeconds: number;
  inputBytes: number;
  compressedBytes: number;
  decompressedBytes: number;
}

interface Variant {
  label: string;
  codec: PageCodec;
  compress(page: Uint8Array): Uint8Array;
  zlib?: typeof pakoZlib;
  /** A decoder of its own (the libdeflate variants); else decompressPage with `zlib`. */
  decompress?(stored: Uint8Array, pageSize: number): Uint8Array;
}

/** libdeflate level 1 through a `compress(level, src, dst)` / `decompress(src, dst)` pair (the addon's or the WebAssembly module's). */
function libdeflateVariant(
  label: string,
  compress: (src: Uint8Array, dst: Uint8Array) => number,
  decompress: (src: Uint8Array, dst: Uint8Array) => number,
): Variant {
  return {
    label,
    codec: 'zlib',
    compress(page) {
      const dst = new Uint8Array(page.length + 1024);
      return dst.slice(0, compress(page, dst));
    },
    decompress(stored, pageSize) {
      const page = new Uint8Array(pageSize);
      if (decompress(stored, page) !== pageSize) throw new Error(`${label}: a stored page does not decode`);
      return page;
    },
  };
}

export interface CodecRow {
  label: string;
  codec: PageCodec;
  compressMBs: number;
  nativeCompressMBs: number;
  decompressMBs: number;
  nativeDecompressMBs: number;
  sizePercent: number;
  nativeSizePercent: number;
}

export function measureCodecs(pages: Uint8Array, options: CodecBenchOptions): CodecRow[] {
  const { pageSize, runs } = options;
  const node = nodeZlib();
  if (!node) throw new Error('node:zlib is missing');
  const variants: Variant[] = [
    { label: 'zlib (node:zlib)', codec: 'zlib', compress: (p) => node.compress(p), zlib: node },
    { label: 'zlib (pako)', codec: 'zlib', compress: (p) => pakoZlib.compress(p), zlib: pakoZlib },
  ];
  // The two libdeflate tiers where they are present (VMCORE_NO_NATIVE=1 / VMCORE_NO_WASM=1 leave them out).
  const addon = nativeCodecs();
  if (addon) {
    variants.push(
      libdeflateVariant(
        'zlib (addon libdeflate)',
        (src, dst) => addon.compress(0, 1, src, dst),
        (src, dst) => addon.decompress(0, src, dst),
      ),
    );
  }
  const wasm = wasmZlib();
  if (wasm) {
    variants.push(
      libdeflateVariant(
        'zlib (wasm libdeflate)',
        (src, dst) => wasm.compress(1, src, dst),
        (src, dst) => wasm.decompress(src, dst),
      ),
    );
  }
  variants.push(
    { label: 'lzo (ours)', codec: 'lzo', compress: lzo1xCompress },
    { label: 'snappy (snappyjs + ours)', codec: 'snappy', compress: snappyCompress },
  );

  const views = Array.from({ length: pages.length / pageSize }, (_, i) => pages.subarray(i * pageSize, (i + 1) * pageSize));
  const dir = mkdtempSync(join(tmpdir(), 'vmcore-bench-'));
  try {
    const file = writePagesFile(join(dir, 'pages.bin'), pages);
    const binary = compileNative('codec-bench', ['z', 'lzo2', 'snappy']);
    return variants.map((v) => {
      // Native right before ours, so both see the same load on a shared machine.
      const native = runJson<NativeResult>(binary, [v.codec, file, String(pageSize), String(runs)]);
      return { ...measureVariant(v, views, options), ...nativeFigures(native) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function measureVariant(v: Variant, views: Uint8Array[], { pageSize, runs }: CodecBenchOptions) {
  const decode = (c: Uint8Array) =>
    v.decompress ? v.decompress(c, pageSize) : decompressPage(v.codec, c, pageSize, v.zlib ? { zlib: v.zlib } : undefined);
  // JIT warm-up outside the timing.
  for (const p of views.slice(0, 512)) {
    const c = v.compress(p);
    if (c.length < pageSize) decode(c);
  }
  let packed: Uint8Array[] = [];
  const compressSeconds = bestOf(runs, () => {
    packed = views.map((p) => v.compress(p));
  });
  // As a kdump reader: only pages stored compressed are decoded.
  const stored = packed.filter((c) => c.length < pageSize);
  const decompressSeconds = bestOf(runs, () => {
    for (const c of stored) decode(c);
  });
  const input = views.length * pageSize;
  return {
    label: v.label,
    codec: v.codec,
    compressMBs: mbPerSecond(input, compressSeconds),
    decompressMBs: mbPerSecond(stored.length * pageSize, decompressSeconds),
    sizePercent: (100 * packed.reduce((sum, c) => sum + c.length, 0)) / input,
  };
}

function nativeFigures(n: NativeResult) {
  return {
    nativeCompressMBs: mbPerSecond(n.inputBytes, n.compressSeconds),
    nativeDecompressMBs: mbPerSecond(n.decompressedBytes, n.decompressSeconds),
    nativeSizePercent: (100 * n.compressedBytes) / n.inputBytes,
  };
}

export interface PoolRow {
  codec: PageCodec;
  inThreadMBs: number;
  pool1MBs: number;
  pool2MBs: number;
}

/** compressBatch in this thread vs PageCompressorPool with 1 and 2 workers, over 1 MiB batches. */
export async function measurePool(pages: Uint8Array, options: CodecBenchOptions): Promise<PoolRow[]> {
  const { pageSize, runs } = options;
  const batchBytes = 256 * pageSize;
  const batches: Uint8Array[] = [];
  for (let at = 0; at + batchBytes <= pages.length; at += batchBytes) batches.push(pages.subarray(at, at + batchBytes));
  const bytes = batches.length * batchBytes;
  const rows: PoolRow[] = [];
  for (const codec of ['zlib', 'lzo', 'snappy'] as const) {
    const inThread = bestOf(runs, () => {
      for (const b of batches) compressBatch(codec, b, pageSize);
    });
    const pooled: number[] = [];
    for (const workers of [1, 2]) {
      const pool = new PageCompressorPool({ codec, workers, maxQueuedBytes: 8 * batchBytes });
      try {
        await pool.compressBatch(batches[0]!, pageSize); // start-up outside the timing
        pooled.push(
          await bestOfAsync(runs, async () => {
            // Fresh copies made outside the timed loop would double memory; copying is part
            // of handing pages to a worker, as it is for the kdump writer without `transfer`.
            for await (const result of pool.compressChunks(batches, pageSize)) void result;
          }),
        );
      } finally {
        await pool.close();
      }
    }
    rows.push({
      codec,
      inThreadMBs: mbPerSecond(bytes, inThread),
      pool1MBs: mbPerSecond(bytes, pooled[0]!),
      pool2MBs: mbPerSecond(bytes, pooled[1]!),
    });
  }
  return rows;
}

export async function runCodecBench(options: CodecBenchOptions): Promise<void> {
  const pages = binaryPages(options.mib * 1024 * 1024, options.pageSize);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `bench codecs: ${options.mib} MiB of ${options.pageSize}-byte pages from /usr/bin, best of ${options.runs} runs; ` +
      `node ${process.version}, ${availableParallelism()} cores (${cpu})`,
  );
  console.log('native: gcc -O2 against zlib (compress2 Z_BEST_SPEED / uncompress), liblzo2 (lzo1x_1 / decompress_safe), libsnappy');
  console.log('decompress: pages stored compressed (< page size), MB/s of output');
  console.log('zlib (addon / wasm libdeflate): libdeflate level 1 per page, the native column is still zlib\n');
  const rows = measureCodecs(pages, options);
  console.log(
    formatTable([
      ['codec', 'compress MB/s', 'native', 'ours/native', 'decompress MB/s', 'native', 'ours/native', 'size %', 'native size %'],
      ...rows.map((r) => [
        r.label,
        r.compressMBs,
        r.nativeCompressMBs,
        r.compressMBs / r.nativeCompressMBs,
        r.decompressMBs,
        r.nativeDecompressMBs,
        r.decompressMBs / r.nativeDecompressMBs,
        r.sizePercent,
        r.nativeSizePercent,
      ]),
    ]),
  );
  console.log('\nPageCompressorPool (zero-page detection + compression, 1 MiB batches), MB/s of input:\n');
  const pool = await measurePool(pages, options);
  console.log(
    formatTable([
      ['codec', 'in-thread', 'pool 1 worker', 'pool 2 workers', '2 workers/in-thread'],
      ...pool.map((r) => [r.codec, r.inThreadMBs, r.pool1MBs, r.pool2MBs, r.pool2MBs / r.inThreadMBs]),
    ]),
  );
}
