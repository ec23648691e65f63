import { describe, expect, it } from 'vitest';
import { dmesgJsonRecord, formatDmesgRecord, panicSummary, type KernelLogRecord } from '../src/index.js';

const record = (text: string | number[], tsNsec = 0n, extra: Partial<KernelLogRecord> = {}): KernelLogRecord => ({
  seq: 7n,
  tsNsec,
  level: 6,
  facility: 0,
  text: new Uint8Array(typeof text === 'string' ? [...text].map((c) => c.charCodeAt(0)) : text),
  ...extra,
});

describe('formatDmesgRecord (makedumpfile --dump-dmesg)', () => {
  it('prints the timestamp as [%5lld.%06ld] and indents continuation lines to the text column', () => {
    expect(formatDmesgRecord(record('a\nb', 123_456_789_012n))).toBe('[  123.456789] a\n               b\n');
    expect(formatDmesgRecord(record('x', 123_456_789_012_345n))).toBe('[123456.789012] x\n');
  });

  it('keeps printable and space characters and escapes the rest as \\x of a signed char', () => {
    expect(formatDmesgRecord(record([0x41, 0x09, 0x01, 0x7f, 0xc3, 0xa9]))).toBe('[    0.000000] A\t\\x01\\x7f\\xffffffc3\\xffffffa9\n');
  });
});

describe('dmesgJsonRecord', () => {
  it('gives sequence, timestamp, level, facility, UTF-8 text and the caller id', () => {
    expect(dmesgJsonRecord(record([0x63, 0x61, 0x66, 0xc3, 0xa9], 1_000_001_000n, { callerId: 0x8000_0002 }))).toEqual({
      sequence: 7,
      timestamp: 1.000001,
      timestampNsec: '1000001000',
      level: 6,
      facility: 0,
      text: 'café',
      caller: 'C2',
    });
    expect(dmesgJsonRecord(record('x', 0n, { callerId: 42 })).caller).toBe('T42');
  });
});

describe('panicSummary', () => {
  it('takes the last panic, BUG and Oops lines and the time of the last one', () => {
    const s = panicSummary([
      record('BUG: kernel NULL pointer dereference, address: 0000000000000000', 5_000_000_000n),
      record('Oops: 0002 [#1] PREEMPT SMP NOPTI', 5_100_000_000n),
      record('Kernel panic - not syncing: sysrq triggered crash', 5_200_000_000n),
    ]);
    expect(s).toEqual({
      bug: 'BUG: kernel NULL pointer dereference, address: 0000000000000000',
      oops: 'Oops: 0002 [#1] PREEMPT SMP NOPTI',
      panic: 'Kernel panic - not syncing: sysrq triggered crash',
      at: 5.2,
    });
  });

  it('is undefined for a log without any', () => {
    expect(panicSummary([record('all is well')])).toBeUndefined();
  });
});
