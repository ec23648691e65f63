import { VmcoreError, VmcoreErrorCode, hex } from '@vmcore/bytes';
import type { KernelInfo } from './kernel-info.js';
import { i32, u16, u32, u64, type KernelMemory } from './kernel-memory.js';
import type { KernelLogRecord } from './log-record.js';

const MAX_LOG_BUF = 1 << 28;

/**
 * Reads the variable-length record buffer of Linux 3.5 to 5.9 (`log_buf`, `log_first_idx`,
 * `log_next_idx`, struct printk_log) the way makedumpfile's dump_dmesg() walks it: from
 * log_first_idx to log_next_idx, a record of len 0 meaning "wrap to the start". A walk that
 * leaves the buffer or does not end within the buffer's capacity is reported as corrupt.
 */
export async function readLogBuf(memory: KernelMemory, kernelInfo: KernelInfo, wordSize: 4 | 8): Promise<KernelLogRecord[]> {
  const info = kernelInfo.for('the kernel log (log_buf)');
  const endian = memory.endian;
  const [major, minor] = info.kernelVersion() ?? [0, 0];
  if (major < 3 || (major === 3 && minor < 5)) {
    throw new VmcoreError(
      VmcoreErrorCode.Unsupported,
      `the kernel log of Linux ${info.vmcoreinfo.osrelease ?? '(unknown)'} (before 3.5, plain-text log_buf) is not supported`,
    );
  }
  const logBufPtr = await memory.read(info.symbol('log_buf'), wordSize, 'log_buf');
  const logBuf = wordSize === 8 ? u64(logBufPtr, 0, endian) : BigInt(u32(logBufPtr, 0, endian));
  const length = i32(await memory.read(info.symbol('log_buf_len'), 4, 'log_buf_len'), 0, endian);
  const firstIdx = u32(await memory.read(info.symbol('log_first_idx'), 4, 'log_first_idx'), 0, endian);
  const nextIdx = u32(await memory.read(info.symbol('log_next_idx'), 4, 'log_next_idx'), 0, endian);
  const recordSize = info.size('printk_log');
  const lenAt = info.offset('printk_log.len');
  const textLenAt = info.offset('printk_log.text_len');
  const tsAt = info.offset('printk_log.ts_nsec');
  if (length <= recordSize || length > MAX_LOG_BUF || firstIdx >= length || nextIdx >= length) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `log_buf at ${hex(logBuf)}: log_buf_len ${length}, log_first_idx ${firstIdx}, log_next_idx ${nextIdx} do not describe a record buffer`,
    );
  }
  const buf = await memory.read(logBuf, length, 'log_buf');
  const records: KernelLogRecord[] = [];
  const maxRecords = Math.floor(length / recordSize) + 1;
  let ptr = firstIdx;
  while (ptr !== nextIdx) {
    if (records.length > maxRecords || ptr + recordSize > length) {
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `log_buf at ${hex(logBuf)}: the record walk left the buffer or loops at index ${ptr}: the log buffer is corrupted`,
      );
    }
    // log_from_ptr(): a record of len 0 marks the end; the record is then the one at the start.
    let rec = ptr;
    let len = u16(buf, ptr + lenAt, endian);
    if (len === 0) {
      rec = 0;
      len = u16(buf, lenAt, endian);
    }
    const textLen = u16(buf, rec + textLenAt, endian);
    const textAt = rec + recordSize;
    // struct printk_log: u16 len, text_len, dict_len; u8 facility; u8 flags:5, level:3.
    const flagsByte = buf[rec + textLenAt + 5] ?? 0;
    records.push({
      seq: BigInt(records.length),
      tsNsec: u64(buf, rec + tsAt, endian),
      level: endian === 'le' ? flagsByte >> 5 : flagsByte & 7,
      facility: buf[rec + textLenAt + 4] ?? 0,
      text: buf.slice(textAt, Math.min(length, textAt + textLen)),
    });
    ptr = rec + len;
    if (len === 0 || ptr > length - recordSize) {
      if (ptr === nextIdx) break;
      throw new VmcoreError(
        VmcoreErrorCode.Corrupt,
        `log_buf at ${hex(logBuf)}: index ${ptr} is outside the buffer: the log buffer is corrupted`,
      );
    }
  }
  return records;
}
