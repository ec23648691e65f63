import { VmcoreError, VmcoreErrorCode, type Endian } from '@vmcore/bytes';
import type { KernelInfo } from './kernel-info.js';
import { u16, u32, u64, type KernelMemory } from './kernel-memory.js';
import type { KernelLogRecord } from './log-record.js';

/** kernel/printk/printk_ringbuffer.h enum desc_state. */
const DESC_COMMITTED = 1n;
const DESC_FINALIZED = 2n;
/** Bounds on the ring sizes we read (the kernel's maximum log_buf_len is 2^31; we take 2^28). */
const MAX_COUNT_BITS = 24;
const MAX_SIZE_BITS = 28;

function word(bytes: Uint8Array, at: number, wordSize: 4 | 8, endian: Endian): bigint {
  return wordSize === 8 ? u64(bytes, at, endian) : BigInt(u32(bytes, at, endian));
}

/**
 * Reads the lockless printk ring buffer (Linux 5.10+: `prb`) the way makedumpfile's
 * dump_lockless_dmesg() does: every descriptor from tail_id to head_id inclusive, skipping the
 * ones not committed or finalized and data-less blocks; a text block that wraps starts at the
 * ring's beginning; text_len is clipped to the block.
 */
export async function readPrintkRingbuffer(memory: KernelMemory, kernelInfo: KernelInfo, wordSize: 4 | 8): Promise<KernelLogRecord[]> {
  const info = kernelInfo.for('the kernel log (lockless printk ring buffer)');
  const endian = memory.endian;
  const prbAddr = word(await memory.read(info.symbol('prb'), wordSize, 'prb'), 0, wordSize, endian);
  const prb = await memory.read(prbAddr, info.size('printk_ringbuffer'), 'struct printk_ringbuffer');
  const counter = info.offset('atomic_long_t.counter');

  const descRing = info.offset('printk_ringbuffer.desc_ring');
  const countBits = u32(prb, descRing + info.offset('prb_desc_ring.count_bits'), endian);
  const textRing = info.offset('printk_ringbuffer.text_data_ring');
  const sizeBits = u32(prb, textRing + info.offset('prb_data_ring.size_bits'), endian);
  if (countBits > MAX_COUNT_BITS || sizeBits > MAX_SIZE_BITS) {
    throw new VmcoreError(
      VmcoreErrorCode.Corrupt,
      `printk ring buffer: count_bits ${countBits} / size_bits ${sizeBits} exceed ${MAX_COUNT_BITS} / ${MAX_SIZE_BITS}: not a kernel's ring buffer`,
    );
  }
  const count = 2 ** countBits;
  const dataSize = 2 ** sizeBits;
  const descSize = info.size('prb_desc');
  const infoSize = info.size('printk_info');
  const descs = await memory.read(
    word(prb, descRing + info.offset('prb_desc_ring.descs'), wordSize, endian),
    descSize * count,
    'prb.desc_ring.descs',
  );
  const infos = await memory.read(
    word(prb, descRing + info.offset('prb_desc_ring.infos'), wordSize, endian),
    infoSize * count,
    'prb.desc_ring.infos',
  );
  const data = await memory.read(
    word(prb, textRing + info.offset('prb_data_ring.data'), wordSize, endian),
    dataSize,
    'prb.text_data_ring.data',
  );

  const tailId = word(prb, descRing + info.offset('prb_desc_ring.tail_id') + counter, wordSize, endian);
  const headId = word(prb, descRing + info.offset('prb_desc_ring.head_id') + counter, wordSize, endian);

  const bits = BigInt(wordSize * 8);
  const flagsShift = bits - 2n;
  const idMask = (1n << flagsShift) - 1n;
  const stateVar = info.offset('prb_desc.state_var') + counter;
  const lpos = info.offset('prb_desc.text_blk_lpos');
  const lposBegin = lpos + info.offset('prb_data_blk_lpos.begin');
  const lposNext = lpos + info.offset('prb_data_blk_lpos.next');
  const seqAt = info.offset('printk_info.seq');
  const tsAt = info.offset('printk_info.ts_nsec');
  const textLenAt = info.offset('printk_info.text_len');
  const callerAt = info.optionalOffset('printk_info.caller_id');
  const bigCount = BigInt(count);
  const bigSize = BigInt(dataSize);

  const records: KernelLogRecord[] = [];
  const visit = (id: bigint) => {
    const slot = Number(id % bigCount);
    const d = slot * descSize;
    const state = word(descs, d + stateVar, wordSize, endian);
    if ((state & idMask) !== id) return;
    const s = (state >> flagsShift) & 3n;
    if (s !== DESC_COMMITTED && s !== DESC_FINALIZED) return;
    let begin = Number(word(descs, d + lposBegin, wordSize, endian) % bigSize);
    const next = Number(word(descs, d + lposNext, wordSize, endian) % bigSize);
    if (begin === next) return;
    const inf = slot * infoSize;
    let textLen = u16(infos, inf + textLenAt, endian);
    if (begin > next) begin = 0;
    begin += wordSize;
    // makedumpfile: `if (next - begin < text_len)` in unsigned long arithmetic.
    const room = next - begin;
    if (room < 0 || room < textLen) textLen = room < 0 ? textLen : room;
    const text = data.slice(begin, Math.min(dataSize, begin + textLen));
    // struct printk_info: u16 text_len; u8 facility; u8 flags:5, level:3 (fixed since 5.10).
    const facility = infos[inf + textLenAt + 2]!;
    const flagsByte = infos[inf + textLenAt + 3]!;
    const level = endian === 'le' ? flagsByte >> 5 : flagsByte & 7;
    records.push({
      seq: u64(infos, inf + seqAt, endian),
      tsNsec: u64(infos, inf + tsAt, endian),
      level,
      facility,
      ...(callerAt !== undefined ? { callerId: u32(infos, inf + callerAt, endian) } : {}),
      text,
    });
  };
  let id = tailId;
  // Bounded: at most one lap of the descriptor ring plus the head record.
  for (let n = 0; id !== headId && n <= count; n++) {
    visit(id);
    id = (id + 1n) & idMask;
  }
  visit(id);
  return records;
}
