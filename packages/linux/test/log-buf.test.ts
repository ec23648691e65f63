import { describe, expect, it } from 'vitest';
import { formatDmesg, readLogBuf } from '../src/index.js';
import { BASE, FlatMemory, info } from './synthetic-kernel.js';

// The variable-length record buffer of Linux 3.5-5.9: struct printk_log { u64 ts_nsec; u16 len,
// text_len, dict_len; u8 facility; u8 flags:5, level:3; } followed by the text, records 8-aligned,
// a record of len 0 meaning "continue at the start of the buffer".
const LOG_BUF_PTR = BASE + 0x100n;
const LOG_BUF_LEN = BASE + 0x108n;
const FIRST = BASE + 0x110n;
const NEXT = BASE + 0x114n;
const BUF = BASE + 0x1000n;

const TEXT = `OSRELEASE=5.4.0-test
SYMBOL(log_buf)=${LOG_BUF_PTR.toString(16)}
SYMBOL(log_buf_len)=${LOG_BUF_LEN.toString(16)}
SYMBOL(log_first_idx)=${FIRST.toString(16)}
SYMBOL(log_next_idx)=${NEXT.toString(16)}
SIZE(printk_log)=16
OFFSET(printk_log.ts_nsec)=0
OFFSET(printk_log.len)=8
OFFSET(printk_log.text_len)=10
`;

function record(m: FlatMemory, at: number, text: string, ts: bigint, level = 6): number {
  const len = Math.ceil((16 + text.length) / 8) * 8;
  const a = BUF + BigInt(at);
  m.u64(a, ts);
  m.u16(a + 8n, len);
  m.u16(a + 10n, text.length);
  m.u8(a + 14n, 0);
  m.u8(a + 15n, level << 5);
  m.set(a + 16n, new Uint8Array([...text].map((c) => c.charCodeAt(0))));
  return at + len;
}

describe('readLogBuf', () => {
  it('walks from log_first_idx to log_next_idx, wrapping at a record of length 0', async () => {
    const m = new FlatMemory(0x2000);
    m.u64(LOG_BUF_PTR, BUF);
    m.u32(LOG_BUF_LEN, 256);
    m.u32(FIRST, 160);
    record(m, 160, 'oldest', 1_000n); // [160, 184)
    m.u16(BUF + 184n + 8n, 0); // end-of-buffer marker
    const second = record(m, 0, 'wrapped', 2_000_000n, 3);
    const end = record(m, second, 'two\nlines', 3_500_000_000n);
    m.u32(NEXT, end);
    const { kernelInfo } = info(TEXT);
    const records = await readLogBuf(m.memory(), kernelInfo, 8);
    expect(records.map((r) => String.fromCharCode(...r.text))).toEqual(['oldest', 'wrapped', 'two\nlines']);
    expect(records[1]).toMatchObject({ level: 3, tsNsec: 2_000_000n });
    expect(formatDmesg(records)).toBe('[    0.000001] oldest\n[    0.002000] wrapped\n[    3.500000] two\n               lines\n');
  });

  it('reports a walk that leaves the buffer as corruption', async () => {
    const m = new FlatMemory(0x2000);
    m.u64(LOG_BUF_PTR, BUF);
    m.u32(LOG_BUF_LEN, 256);
    m.u32(FIRST, 0);
    m.u32(NEXT, 48);
    m.u16(BUF + 8n, 248); // a record claiming to run to the end of the buffer
    const { kernelInfo } = info(TEXT);
    await expect(readLogBuf(m.memory(), kernelInfo, 8)).rejects.toThrow(/outside the buffer: the log buffer is corrupted/);
  });

  it('names the VMCOREINFO entry it lacks', async () => {
    const m = new FlatMemory(0x2000);
    const { kernelInfo } = info(TEXT.replace(/^SYMBOL\(log_first_idx\).*\n/m, ''));
    await expect(readLogBuf(m.memory(), kernelInfo, 8)).rejects.toThrow(
      'VMCOREINFO has no SYMBOL(log_first_idx), which the kernel log (log_buf) needs',
    );
  });
});
