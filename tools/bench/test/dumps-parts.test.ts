// The parts of `bench dumps` that can rot without a guest: peak-RSS measurement of a child,
// the sparse RAM file, the profile summary and the ratio columns. (The benchmark is not a test.)
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dumpTable, type DumpRow } from '../src/dumps.js';
import { placeOf, summarizeCpuProfile } from '../src/lib/cpuprofile.js';
import { runMeasured } from '../src/lib/measure.js';
import { createSparseRam } from '../src/lib/sparse-ram.js';

const dir = mkdtempSync(join(tmpdir(), 'vmcore-bench-dumps-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench dumps parts', () => {
  it('reports the peak RSS of a child that touches 96 MiB', async () => {
    const small = await runMeasured(process.execPath, ['-e', '0']);
    const big = await runMeasured(process.execPath, ['-e', 'const b = Buffer.alloc(96 << 20, 1); console.log(b[12345])']);
    expect(big.stdout.trim()).toBe('1');
    expect(big.maxRssMiB - small.maxRssMiB).toBeGreaterThan(80);
    expect(big.seconds).toBeGreaterThan(0);
  });

  it('rejects with the command and its stderr when the child fails', async () => {
    await expect(runMeasured(process.execPath, ['-e', 'console.error("boom"); process.exit(3)'])).rejects.toThrow(/exit 3: boom/);
  });

  it('makes a sparse RAM file with data pages spread over it', () => {
    const file = join(dir, 'sparse.ram');
    const { size, dataBytes } = createSparseRam(file, 256 << 20, 64 * 4096);
    expect(size).toBe(256 << 20);
    expect(dataBytes).toBe(64 * 4096);
    const st = statSync(file);
    expect(st.size).toBe(256 << 20);
    expect(st.blocks * 512).toBeLessThan(4 << 20); // holes, not 256 MiB of zeros
    const bytes = readFileSync(file);
    const stride = (256 << 20) / 64;
    expect(bytes.subarray(stride, stride + 4096).some((b) => b !== 0)).toBe(true);
    expect(bytes.subarray(4096, 8192).every((b) => b === 0)).toBe(true);
  });

  it('sums self time per function and per place from a .cpuprofile', () => {
    const file = join(dir, 'p.cpuprofile');
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame('(root)', '') },
          { id: 2, callFrame: frame('processChunkSync', 'node:zlib') },
          { id: 3, callFrame: frame('emit', 'file:///w/packages/kdump/dist/writer.js') },
          { id: 4, callFrame: frame('(garbage collector)', '') },
        ],
        samples: [2, 2, 3, 4],
        timeDeltas: [3000, 3000, 2000, 2000],
      }),
    );
    const s = summarizeCpuProfile(file);
    expect(s.totalMs).toBe(10);
    expect(s.functions[0]).toEqual({ name: 'processChunkSync node:zlib:10', ms: 6, percent: 60 });
    expect(s.places.map((p) => [p.name, p.ms])).toEqual([
      ['node:zlib', 6],
      ['@vmcore/kdump', 2],
      ['(garbage collector)', 2],
    ]);
  });

  it('names where code lives from its URL', () => {
    expect(placeOf('file:///w/node_modules/.pnpm/zod@3.25.0/node_modules/zod/lib/index.js', 'parse')).toBe('zod');
    expect(placeOf('node:internal/fs/promises', 'read')).toBe('node:fs');
    expect(placeOf('', 'postMessage')).toBe('(native)');
  });

  it("divides each peer's time by ours: QEMU for elf and zlib, makedumpfile per codec", () => {
    const row = (format: string, tool: DumpRow['tool'], seconds: number): DumpRow => ({
      format,
      tool,
      input: 'x',
      workers: '-',
      seconds,
      total: 1e9,
      size: 1e6,
      maxRssMiB: 10,
    });
    const table = dumpTable([
      row('kdump-zlib', 'QEMU', 1),
      row('kdump (zlib)', 'makedumpfile', 3),
      row('kdump-raw-zlib', 'vmcore', 2),
      row('kdump (lzo)', 'makedumpfile', 1),
      row('kdump-lzo', 'vmcore', 4),
    ]);
    const lines = table.split('\n');
    // The last three columns: QEMU s/ours, mdf s/ours, cp s/ours (ELF rows only).
    expect(lines[4]!.trim().split(/\s+/).slice(-3)).toEqual(['0.50', '1.50', '-']);
    expect(lines[6]!.trim().split(/\s+/).slice(-3)).toEqual(['-', '0.25', '-']);
  });

  it("divides cp's time of the same bytes by our ELF rows' (the RAM file for the RAM job, QEMU's ELF for the ELF job)", () => {
    const row = (tool: DumpRow['tool'], input: string, seconds: number): DumpRow => ({
      format: 'elf',
      tool,
      input,
      workers: '-',
      seconds,
      total: 1e9,
      size: 1e6,
      maxRssMiB: 10,
    });
    const table = dumpTable([
      row('QEMU', 'live guest', 1),
      row('cp', 'RAM file', 0.5),
      row('cp', "QEMU's ELF", 0.6),
      row('vmcore', 'RAM file + map', 2),
      row('vmcore', "QEMU's ELF", 1.2),
    ]);
    const lines = table.split('\n');
    expect(lines[5]!.trim().split(/\s+/).slice(-3)).toEqual(['0.50', '-', '0.25']);
    expect(lines[6]!.trim().split(/\s+/).slice(-3)).toEqual(['0.83', '-', '0.50']);
  });
});
