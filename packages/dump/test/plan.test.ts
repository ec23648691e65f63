import { describe, expect, it } from 'vitest';
import { DumpRefusal, planDump, type DumpRequest } from '../src/index.js';

// QEMU 7.2's pc layout below 4 GiB: RAM, the VGA hole at 640 KiB, RAM from 1 MiB (17 MiB guest).
const guest = {
  arch: 'x86_64',
  blocks: [
    { start: 0, size: 0xa0000 },
    { start: 0x100000, size: 16 << 20 },
  ],
};
const END = 0x100000 + (16 << 20);
const INT64_MAX = (1n << 63n) - 1n;

function verdict(request: Omit<DumpRequest, 'guest'>): string {
  try {
    planDump({ guest, ...request });
    return 'accept';
  } catch (error) {
    if (!(error instanceof DumpRefusal)) throw error;
    return `${error.stage}:${error.reason}`;
  }
}

describe('planDump: verdicts in QEMU 7.2 order', () => {
  it.each<[string, Omit<DumpRequest, 'guest'>, string]>([
    ['an unknown format', { format: 'kdump-zstd' }, 'arguments:unknown-format'],
    ['a fractional begin', { begin: 1.5, length: 1 }, 'arguments:not-an-integer'],
    ['a begin beyond int64', { begin: 1n << 63n, length: 1 }, 'arguments:not-an-integer'],
    ['paging with kdump', { format: 'kdump-zlib', paging: true }, 'arguments:filter-not-supported'],
    ['a filter with kdump, even with length 0', { format: 'kdump-zlib', begin: 0, length: 0 }, 'arguments:filter-not-supported'],
    ['begin alone', { begin: 0 }, 'arguments:missing-length'],
    ['length alone', { length: 0 }, 'arguments:missing-begin'],
    ['a format this writer lacks', { format: 'kdump-lzo', available: ['elf', 'kdump-zlib'] }, 'arguments:format-unavailable'],
    [
      'an unavailable format before an unseekable output',
      { format: 'kdump-raw-lzo', available: ['elf'], output: { seekable: false } },
      'arguments:format-unavailable',
    ],
    ['raw kdump to a pipe', { format: 'kdump-raw-zlib', output: { seekable: false } }, 'output:not-seekable'],
    ['flattened kdump to a pipe', { format: 'kdump-zlib', output: { seekable: false } }, 'accept'],
    ['raw kdump before the output is known', { format: 'kdump-raw-zlib' }, 'accept'],
    ['length 0', { begin: 0, length: 0 }, 'init:length-zero'],
    ['begin in the VGA hole', { begin: 0xa0000, length: 4096 }, 'init:no-memory'],
    ['begin beyond RAM', { begin: 999_999_999_999, length: 4096 }, 'init:no-memory'],
    ['a negative begin (unsigned compare in validate_start_block)', { begin: -4096, length: 8192 }, 'init:begin-outside'],
    ['a negative length ending below every block', { begin: 1 << 20, length: -5 }, 'init:no-memory'],
    ['a negative length that wraps below zero (QEMU: to the end)', { begin: 0, length: -1 }, 'accept'],
    ['a negative begin and length (QEMU accepts, writes no memory)', { begin: -1, length: -4096 }, 'accept'],
    ['win-dmp without a Windows header', { format: 'win-dmp' }, 'process:win-dmp-header'],
  ])('%s → %s', (_name, request, expected) => {
    expect(verdict(request)).toBe(expected);
  });

  it('refuses win-dmp for a guest that is not x86_64 before any memory check', () => {
    expect(() => planDump({ format: 'win-dmp', guest: { ...guest, arch: 'aarch64' } })).toThrow(
      'Windows dump is only available for x86-64',
    );
  });
});

describe("planDump: QEMU's clamping of begin/length and its total", () => {
  it('clips begin + length past the end to the last block', () => {
    const plan = planDump({ guest, begin: END - 4096, length: 8192 });
    expect(plan).toMatchObject({ total: 4096, filter: { begin: END - 4096, length: 4096 } });
  });

  it('treats begin + length overflowing int64 as "to the end" (measured: begin 1 MiB, length INT64_MAX)', () => {
    const plan = planDump({ guest, begin: 1 << 20, length: INT64_MAX });
    expect(plan).toMatchObject({ total: 16 << 20, filter: { begin: 1 << 20, length: 16 << 20 } });
  });

  it('dumps everything for begin 0 and length -1, as QEMU 7.2 does', () => {
    const plan = planDump({ guest, begin: 0, length: -1 });
    expect(plan.total).toBe(0xa0000 + (16 << 20));
    expect(plan.filter).toBeUndefined();
  });

  it('starts at begin for a negative length whose sum is negative (begin 4096, length -8192)', () => {
    const plan = planDump({ guest, begin: 4096, length: -8192 });
    expect(plan).toMatchObject({ total: 0xa0000 - 4096 + (16 << 20), filter: { begin: 4096, length: END - 4096 } });
  });

  it("reproduces QEMU's total for a negative begin and length, and writes no memory", () => {
    // Measured on a 5-block guest: begin -1, length INT64_MIN gave total = sum(end + 1).
    const plan = planDump({ guest, begin: -1, length: -(1n << 63n) });
    expect(plan.total).toBe(0xa0000 + 1 + END + 1);
    expect(plan.filter).toEqual({ begin: 0, length: 0 });
  });

  it('spans the hole when the filter covers both sides of it', () => {
    const plan = planDump({ guest, begin: 0x9f000, length: 0x62000 });
    expect(plan).toMatchObject({ total: 0x2000, filter: { begin: 0x9f000, length: 0x62000 } });
  });

  it('accepts bigint arguments (QMP int64) and numbers alike', () => {
    expect(planDump({ guest, begin: 0x100000n, length: 0x1000n }).total).toBe(0x1000);
  });

  it('carries the structured detail an app needs for its own text', () => {
    try {
      planDump({ guest, format: 'kdump-lzo', available: ['elf'] });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'VMCORE_UNSUPPORTED',
        stage: 'arguments',
        detail: { reason: 'format-unavailable', format: 'kdump-lzo' },
      });
    }
  });
});
