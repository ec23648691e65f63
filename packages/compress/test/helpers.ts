import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PAGE = 4096;

const script = fileURLToPath(new URL('./native/codecs.py', import.meta.url));

export type NativeOp = 'lzo1' | 'lzo9' | 'unlzo' | 'snappy' | 'unsnappy' | 'zlib' | 'unzlib';

/** Runs one native-library operation over many records in one /usr/bin/python3 process; null = rejected. */
export function native(op: NativeOp, records: readonly Uint8Array[], pageSize = PAGE): Array<Uint8Array | null> {
  const total = records.reduce((sum, r) => sum + 4 + r.length, 4);
  const input = Buffer.alloc(total);
  input.writeUInt32LE(pageSize, 0);
  let at = 4;
  for (const r of records) {
    input.writeUInt32LE(r.length, at);
    input.set(r, at + 4);
    at += 4 + r.length;
  }
  const run = spawnSync('/usr/bin/python3', [script, op], { input, maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`codecs.py ${op} failed: ${run.stderr.toString()}`);
  const out = run.stdout;
  const results: Array<Uint8Array | null> = [];
  at = 0;
  while (at < out.length) {
    const n = out.readUInt32LE(at);
    at += 4;
    if (n === 0xffffffff) {
      results.push(null);
    } else {
      results.push(new Uint8Array(out.subarray(at, at + n)));
      at += n;
    }
  }
  if (results.length !== records.length) throw new Error(`codecs.py ${op}: ${results.length} results for ${records.length} records`);
  return results;
}

let binaries: Buffer[] | undefined;

/** Whole pages cut from /usr/bin executables (real machine code and data), deterministic. */
export function realPages(count: number, pageSize = PAGE): Uint8Array[] {
  binaries ??= readdirSync('/usr/bin')
    .sort()
    .map((name) => `/usr/bin/${name}`)
    .filter((path) => {
      try {
        const st = statSync(path);
        return st.isFile() && st.size >= 256 * 1024;
      } catch {
        return false;
      }
    })
    .slice(0, 24)
    .map((path) => readFileSync(path));
  const pages: Uint8Array[] = [];
  for (let i = 0; pages.length < count; i++) {
    const bin = binaries[i % binaries.length]!;
    const pagesIn = Math.floor(bin.length / pageSize);
    const index = (Math.floor(i / binaries.length) * 37 + i * 13) % pagesIn;
    pages.push(new Uint8Array(bin.subarray(index * pageSize, (index + 1) * pageSize)));
  }
  return pages;
}

/** A page of pseudo-random bytes (xorshift), incompressible. */
export function randomPage(seed: number, size = PAGE): Uint8Array {
  const page = new Uint8Array(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    page[i] = x & 0xff;
  }
  return page;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** Ten pages: zero, six real, random (stored raw), zero, all-ones. */
export function samplePages(): Uint8Array {
  const pages = [new Uint8Array(PAGE), ...realPages(6), randomPage(12), new Uint8Array(PAGE), new Uint8Array(PAGE).fill(1)];
  const out = new Uint8Array(pages.length * PAGE);
  pages.forEach((p, i) => out.set(p, i * PAGE));
  return out;
}

/** n pages of real data with every third page zero. */
export function mixedBatch(n: number, offset = 0): Uint8Array {
  const real = realPages(n + offset).slice(offset);
  const out = new Uint8Array(n * PAGE);
  real.forEach((p, i) => {
    if (i % 3 !== 0) out.set(p, i * PAGE);
  });
  return out;
}
