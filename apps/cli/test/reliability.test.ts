import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpGuest } from '@vmcore/dump/node';
import { syntheticGuest } from '@vmcore/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, vmcore } from './run.js';

/** Regression tests for issue 10 (hostile input, signals, outputs over inputs), run on the built bin. */

const SAMPLE = fileURLToPath(new URL('../../../tools/qemu-guest/sample/sample-guest.kdump', import.meta.url));
const FLAT_HEADER = 4096;
/** Offset of disk_dump_header.status in the 64-bit layout (after signature, version, utsname, timeval). */
const STATUS = 424;

let dir: string;
let flat: string;
let raw: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmcore-reliability-'));
  flat = join(dir, 'g.flat');
  raw = join(dir, 'g.kdump');
  await dumpGuest(syntheticGuest(), 'kdump-zlib', flat, { workers: 0 });
  await dumpGuest(syntheticGuest(), 'kdump-raw-zlib', raw, { workers: 0 });
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the bin with a wall-clock bound; `hung` when it had to be killed. */
async function bounded(args: string[], ms = 10_000): Promise<{ code: number | null; stderr: string; hung: boolean; elapsed: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let hung = false;
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, hung, elapsed: Date.now() - started });
    });
  });
}

/** Records of a flattened file: [position, offset, size]. */
function records(bytes: Uint8Array): [number, bigint, number][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const out: [number, bigint, number][] = [];
  for (let at = FLAT_HEADER; at + 16 <= bytes.length;) {
    const offset = view.getBigInt64(at);
    const size = Number(view.getBigInt64(at + 8));
    if (offset === -1n) break;
    out.push([at, offset, size]);
    at += 16 + size;
  }
  return out;
}

describe('issue 10 items 2 and 3: sizes taken from a file are bounded before work starts', () => {
  it('item 2: a flattened file with 2^32-1 bitmap blocks and a record at 2^49 is a clean error in seconds', async () => {
    const bytes = new Uint8Array(await readFile(flat));
    const view = new DataView(bytes.buffer);
    const recs = records(bytes);
    const header = recs.find(([, offset]) => offset === 0n)!;
    const blockSize = view.getUint32(header[0] + 16 + STATUS + 4, true);
    view.setUint32(header[0] + 16 + STATUS + 12, 0xffffffff, true); // bitmap_blocks
    const sub = recs.find(([, offset]) => offset === BigInt(blockSize))!;
    // kdump_sub_header.max_mapnr_64 (64-bit layout): at byte 96: phys_base, two u32, then ten u64 fields.
    view.setBigUint64(sub[0] + 16 + 96, (0xffffffffn * BigInt(blockSize) * 8n) / 2n, true);
    const end = recs[recs.length - 1]!;
    const body = bytes.subarray(0, end[0] + 16 + end[2]);
    const tail = new Uint8Array(16 + 16 + 16);
    const tv = new DataView(tail.buffer);
    tv.setBigInt64(0, 1n << 49n);
    tv.setBigInt64(8, 16n);
    tv.setBigInt64(32, -1n);
    tv.setBigInt64(40, -1n);
    const hostile = join(dir, 'item2.flat');
    await writeFile(hostile, Buffer.concat([body, tail]));
    for (const args of [
      ['info', hostile],
      ['convert', hostile, join(dir, 'item2.elf'), '-f', 'elf'],
    ]) {
      const ran = await bounded(args);
      expect(ran.hung).toBe(false);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toMatch(/^vmcore: .*item2\.flat.*(page frames|bitmap)/);
      expect(ran.elapsed).toBeLessThan(10_000);
    }
    expect(existsSync(join(dir, 'item2.elf'))).toBe(false);
  });

  it('item 3: a 1 TiB sparse file holding one flattened header is a clean error in seconds', async () => {
    const hostile = join(dir, 'item3.flat');
    await writeFile(hostile, (await readFile(flat)).subarray(0, 4096));
    await truncate(hostile, 2 ** 40);
    const ran = await bounded(['info', hostile]);
    expect(ran.hung).toBe(false);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^vmcore: .*item3\.flat: more than \d+ flattened records of size 0/);
    const re = await bounded(['reassemble', hostile, join(dir, 'item3.kdump')]);
    expect(re.hung).toBe(false);
    expect(re.code).toBe(1);
    expect(existsSync(join(dir, 'item3.kdump'))).toBe(false);
  });

  it('item 3: a 1 TiB sparse raw kdump whose header claims ~2^42 pages is a clean error in seconds', async () => {
    const bytes = new Uint8Array(await readFile(raw)).slice(0, 8192);
    const view = new DataView(bytes.buffer);
    const blockSize = view.getUint32(STATUS + 4, true);
    const bitmapBlocks = (2 ** 40 - 4 * blockSize) / blockSize;
    view.setUint32(STATUS + 12, bitmapBlocks, true);
    view.setUint32(STATUS + 16, 0xffffffff, true);
    view.setBigUint64(blockSize + 96, BigInt((bitmapBlocks * blockSize * 8) / 2), true);
    const hostile = join(dir, 'item3.kdump');
    await writeFile(hostile, bytes);
    await truncate(hostile, 2 ** 40);
    const ran = await bounded(['info', hostile]);
    expect(ran.hung).toBe(false);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^vmcore: .*item3\.kdump: the header claims \d+ page frames/);
  });
});

describe('issue 10 item 4: OUT equal to IN', () => {
  it('convert a.kdump a.kdump exits 1 naming both and keeps the kdump', async () => {
    const before = await readFile(raw);
    const ran = await vmcore(['convert', raw, raw, '--format', 'elf']);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe(`vmcore: refusing to write over an input: '${raw}'; choose another output file\n`);
    expect(Buffer.compare(await readFile(raw), before)).toBe(0);
  });

  it('reassemble x.flat x.flat exits 1 and keeps the flattened file', async () => {
    const size = (await stat(flat)).size;
    const ran = await vmcore(['reassemble', flat, flat]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/refusing to write over an input/);
    expect((await stat(flat)).size).toBe(size);
  });
});

describe('issue 10 item 6 and minors: signals', () => {
  /** Starts `reassemble - OUT` fed a flattened header and one record, then nothing (an open pipe). */
  async function stalledReassemble(out: string) {
    const child = spawn(process.execPath, [MAIN, 'reassemble', '-', out], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const bytes = await readFile(flat);
    child.stdin.write(bytes.subarray(0, FLAT_HEADER + 16 + records(bytes)[0]![2]));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Until its temporary file exists the command has not started reading.
    for (let i = 0; i < 200 && !(await readdir(dir)).some((n) => n.includes('.partial')); i++) await new Promise((r) => setTimeout(r, 50));
    return { child, closed, stderr: () => stderr };
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('reassemble honours the first %s: exit %i within a second, no output, no temporary file', async (signal, status) => {
    const out = join(dir, `stalled-${signal}.kdump`);
    const run = await stalledReassemble(out);
    const sent = Date.now();
    run.child.kill(signal);
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 5000);
    const code = await run.closed;
    clearTimeout(timer);
    expect(code).toBe(status);
    expect(Date.now() - sent).toBeLessThan(1500);
    expect(run.stderr()).toMatch(/^vmcore: .*cancelled: interrupted by SIG/);
    expect((await readdir(dir)).filter((n) => n.includes('stalled') || n.includes('.partial'))).toEqual([]);
    run.child.stdin.destroy();
  });

  it('convert exits 143 on SIGTERM mid-dump and leaves nothing under OUT', async () => {
    const out = join(dir, 'sigterm.kdump');
    const child = spawn(process.execPath, [MAIN, 'convert', SAMPLE, out, '-f', 'kdump-raw-zlib', '--workers', '0'], { stdio: 'ignore' });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let started = false;
    for (let i = 0; i < 400 && !started; i++) {
      started = (await readdir(dir)).some((n) => n.startsWith('.sigterm.kdump.'));
      if (!started) await new Promise((r) => setTimeout(r, 25));
    }
    expect(started).toBe(true);
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await closed).toBe(143);
    expect(Date.now() - sent).toBeLessThan(1500);
    expect((await readdir(dir)).filter((n) => n.includes('sigterm'))).toEqual([]);
  });
});

describe('issue 10 minor: reassemble error texts', () => {
  it("names the user's paths with the C library text, never errno codes or temporary names", async () => {
    const missing = join(dir, 'missing.flat');
    const ran = await vmcore(['reassemble', missing, join(dir, 'out.kdump')]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe(`vmcore: cannot reassemble ${missing} into ${join(dir, 'out.kdump')}: No such file or directory\n`);
    const readOnly = await open(join(dir, 'ro'), 'w');
    await readOnly.close();
    const intoFile = await vmcore(['reassemble', flat, join(dir, 'ro', 'x.kdump')]);
    expect(intoFile.code).toBe(1);
    expect(intoFile.stderr).not.toMatch(/ENOTDIR|ENOENT|\.partial/);
    expect(intoFile.stderr).toMatch(/Not a directory\n$/);
  });
});
