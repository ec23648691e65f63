import { describe, expect, it } from 'vitest';
import { formatDmesg, readPrintkRingbuffer } from '../src/index.js';
import { BASE, FlatMemory, PRINTK_6_1, info } from './synthetic-kernel.js';

const PRB_PTR = BASE + 0x100n;
const PRB = BASE + 0x200n;
const DESCS = BASE + 0x1000n;
const INFOS = BASE + 0x2000n;
const DATA = BASE + 0x4000n;
const COUNT_BITS = 3; // 8 descriptors
const SIZE_BITS = 8; // 256 bytes of text
const ID_MASK = (1n << 62n) - 1n;
const FINALIZED = 2n << 62n;
const RESERVED = 0n;

interface Rec {
  id: bigint;
  state: bigint;
  begin: bigint;
  next: bigint;
  text: string;
  textLen?: number;
  ts: bigint;
  level?: number;
  facility?: number;
  caller?: number;
}

function ring(records: Rec[], tail: bigint, head: bigint): FlatMemory {
  const m = new FlatMemory(0x8000);
  m.u64(PRB_PTR, PRB);
  m.u32(PRB + 0n, COUNT_BITS);
  m.u64(PRB + 8n, DESCS);
  m.u64(PRB + 16n, INFOS);
  m.u64(PRB + 24n, head);
  m.u64(PRB + 32n, tail);
  m.u32(PRB + 48n, SIZE_BITS);
  m.u64(PRB + 56n, DATA);
  for (const r of records) {
    const slot = BigInt(Number(r.id % 8n));
    const d = DESCS + slot * 24n;
    m.u64(d, r.state | (r.id & ID_MASK));
    m.u64(d + 8n, r.begin);
    m.u64(d + 16n, r.next);
    const inf = INFOS + slot * 88n;
    m.u64(inf, r.id + 100n);
    m.u64(inf + 8n, r.ts);
    m.u16(inf + 16n, r.textLen ?? r.text.length);
    m.u8(inf + 18n, r.facility ?? 0);
    m.u8(inf + 19n, (r.level ?? 6) << 5);
    m.u32(inf + 20n, r.caller ?? 1);
    // A data block: the descriptor id (unsigned long), then the text; wrapped blocks start at 0.
    const at = r.begin % 256n > r.next % 256n ? 0n : r.begin % 256n;
    m.u64(DATA + at, r.id);
    m.set(DATA + at + 8n, new Uint8Array([...r.text].map((c) => c.charCodeAt(0))));
  }
  return m;
}

describe('readPrintkRingbuffer', () => {
  it('reads tail to head inclusive, skipping reserved and data-less records, and unwraps a wrapped block', async () => {
    const records: Rec[] = [
      { id: 9n, state: FINALIZED, begin: 256n + 100n, next: 256n + 130n, text: 'first line', ts: 1_500_000_000n, caller: 0x8000_0001 },
      { id: 10n, state: RESERVED, begin: 256n + 130n, next: 256n + 150n, text: 'in flight', ts: 2n },
      { id: 11n, state: FINALIZED, begin: 256n + 150n, next: 256n + 150n, text: '', ts: 3n },
      // begins near the end of the ring and wraps: the text is at the ring's start
      {
        id: 12n,
        state: FINALIZED,
        begin: 256n + 240n,
        next: 512n + 40n,
        text: 'wrapped\nsecond line',
        ts: 12_345_678_901n,
        level: 3,
        facility: 1,
      },
    ];
    const m = ring(records, 9n, 12n);
    const { kernelInfo } = info(PRINTK_6_1, `SYMBOL(prb)=${PRB_PTR.toString(16)}\n`);
    const out = await readPrintkRingbuffer(m.memory(), kernelInfo, 8);
    expect(out.map((r) => String.fromCharCode(...r.text))).toEqual(['first line', 'wrapped\nsecond line']);
    expect(out[0]).toMatchObject({ seq: 109n, tsNsec: 1_500_000_000n, level: 6, facility: 0, callerId: 0x8000_0001 });
    expect(out[1]).toMatchObject({ seq: 112n, level: 3, facility: 1 });
    expect(formatDmesg(out)).toBe('[    1.500000] first line\n[   12.345678] wrapped\n               second line\n');
  });

  it('clips text_len to the data block, as makedumpfile handles truncated messages', async () => {
    const m = ring([{ id: 1n, state: FINALIZED, begin: 0n, next: 8n + 5n, text: 'abcdefgh', textLen: 200, ts: 0n }], 1n, 1n);
    const { kernelInfo } = info(PRINTK_6_1, `SYMBOL(prb)=${PRB_PTR.toString(16)}\n`);
    const out = await readPrintkRingbuffer(m.memory(), kernelInfo, 8);
    expect(String.fromCharCode(...out[0]!.text)).toBe('abcde');
  });

  it('names the VMCOREINFO entry it lacks', async () => {
    const m = ring([], 0n, 0n);
    const { kernelInfo } = info(PRINTK_6_1.replace('OFFSET(printk_info.ts_nsec)=8\n', ''), `SYMBOL(prb)=${PRB_PTR.toString(16)}\n`);
    await expect(readPrintkRingbuffer(m.memory(), kernelInfo, 8)).rejects.toThrow(
      'VMCOREINFO has no OFFSET(printk_info.ts_nsec), which the kernel log (lockless printk ring buffer) needs',
    );
  });
});
