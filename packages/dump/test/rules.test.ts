import { describe, expect, it } from 'vitest';
import { bytesToDump, planDump, type DumpRequest } from '../src/index.js';

const guest = {
  arch: 'x86_64',
  blocks: [
    { start: 0, size: 0xa0000 },
    { start: 0x100000, size: 0x100000 },
  ],
};
const plan = (format: string, args: Omit<DumpRequest, 'guest' | 'format'>) => planDump({ format, guest, ...args });
const filterOf = (format: string, args: Omit<DumpRequest, 'guest' | 'format'>) => plan(format, args).filter;

describe("QEMU's dump-guest-memory argument rules", () => {
  it.each(['kdump-zlib', 'kdump-raw-lzo', 'win-dmp'] as const)("%s refuses paging and begin/length with QEMU's text", (format) => {
    const text = "kdump-compressed format doesn't support paging or filter";
    expect(() => plan(format, { paging: true })).toThrow(text);
    expect(() => plan(format, { begin: 0, length: 4096 })).toThrow(text);
    expect(() => plan(format, { begin: 0 })).toThrow(text);
  });

  it('wants begin and length together', () => {
    expect(() => plan('elf', { begin: 4096 })).toThrow("Parameter 'length' is missing");
    expect(() => plan('elf', { length: 4096 })).toThrow("Parameter 'begin' is missing");
  });

  it('refuses a zero length and a negative begin', () => {
    expect(() => plan('elf', { begin: 0, length: 0 })).toThrow("parameter 'length' expects a non-zero size");
    expect(() => plan('elf', { begin: -1, length: 10 })).toThrow("Invalid parameter 'begin'");
  });

  it('returns the filter for elf and nothing without begin/length', () => {
    expect(filterOf('elf', { begin: 0x1000, length: 0x2000 })).toEqual({ begin: 0x1000, length: 0x2000 });
    expect(filterOf('kdump-zlib', {})).toBeUndefined();
  });

  it('counts the guest bytes inside the filter (query-dump total)', () => {
    const blocks = [
      { start: 0, size: 0xa0000 },
      { start: 0x100000, size: 0x100000 },
    ];
    expect(bytesToDump(blocks)).toBe(0x1a0000);
    expect(bytesToDump(blocks, { begin: 0x9f000, length: 0x62000 })).toBe(0x1000 + 0x1000);
    expect(plan('elf', {}).total).toBe(0x1a0000);
    expect(plan('elf', { begin: 0x9f000, length: 0x62000 }).total).toBe(0x1000 + 0x1000);
  });
});
