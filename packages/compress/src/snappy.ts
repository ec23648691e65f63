import { compress } from 'snappyjs';
import { codecError } from './codec.js';

/** A raw snappy block (no framing), as libsnappy's snappy_compress writes one. */
export function snappyCompress(data: Uint8Array): Uint8Array {
  const out = compress(data);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The uncompressed length a snappy block declares in its varint preamble. */
export function snappyUncompressedLength(src: Uint8Array): number {
  return readPreamble(src).length;
}

/**
 * Decodes a raw snappy block into at most `maxOutput` bytes. The declared length is checked
 * against `maxOutput` before anything is allocated. Our own decoder rather than snappyjs's:
 * snappyjs does not bounds-check truncated tags and silently drops writes past the declared
 * length, so hostile blocks would decode to wrong data instead of an error.
 */
export function snappyDecompress(src: Uint8Array, maxOutput: number): Uint8Array {
  const { length, start } = readPreamble(src);
  if (length > maxOutput) {
    throw codecError('snappy', `block declares ${length} bytes, more than the ${maxOutput} allowed`);
  }
  const out = new Uint8Array(length);
  const end = src.length;
  let ip = start;
  let op = 0;
  while (ip < end) {
    const tagAt = ip;
    const tag = src[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (end - ip < bytes) throw truncated(tagAt, end);
        n = 0;
        for (let i = bytes - 1; i >= 0; i--) n = n * 256 + src[ip + i]!;
        ip += bytes;
      }
      n += 1;
      if (n > end - ip) throw truncated(tagAt, end);
      if (n > length - op) throw tooLong(n, op, length);
      if (n > 16) {
        out.set(src.subarray(ip, ip + n), op);
        ip += n;
        op += n;
      } else {
        for (let i = 0; i < n; i++) out[op++] = src[ip++]!;
      }
      continue;
    }
    let n: number;
    let offset: number;
    if (kind === 1) {
      if (end - ip < 1) throw truncated(tagAt, end);
      n = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | src[ip]!;
      ip += 1;
    } else if (kind === 2) {
      if (end - ip < 2) throw truncated(tagAt, end);
      n = (tag >>> 2) + 1;
      offset = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
    } else {
      if (end - ip < 4) throw truncated(tagAt, end);
      n = (tag >>> 2) + 1;
      offset = (src[ip]! | (src[ip + 1]! << 8) | (src[ip + 2]! << 16) | (src[ip + 3]! << 24)) >>> 0;
      ip += 4;
    }
    if (offset === 0 || offset > op) {
      throw codecError('snappy', `copy at byte ${tagAt} reaches ${offset} bytes back from output ${op}`);
    }
    if (n > length - op) throw tooLong(n, op, length);
    let from = op - offset;
    if (offset >= n && n > 16) {
      out.copyWithin(op, from, from + n);
      op += n;
    } else {
      const stop = op + n;
      while (op < stop) out[op++] = out[from++]!;
    }
  }
  if (op !== length) {
    throw codecError('snappy', `block ends after ${op} of its declared ${length} bytes`);
  }
  return out;
}

// Error builders outside the decoder: closures over ip/op would slow its loop down.
function truncated(tagAt: number, end: number): Error {
  return codecError('snappy', `truncated block: tag at byte ${tagAt} needs bytes past the end (${end})`);
}

function tooLong(n: number, op: number, length: number): Error {
  return codecError('snappy', `block writes ${n} bytes at output ${op}, past its declared ${length} bytes`);
}

function readPreamble(src: Uint8Array): { length: number; start: number } {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= src.length) throw codecError('snappy', `truncated length preamble (${src.length} bytes)`);
    const b = src[i]!;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) {
      if (length > 0xffff_ffff) throw codecError('snappy', `length preamble ${length} exceeds 32 bits`);
      return { length, start: i + 1 };
    }
  }
  throw codecError('snappy', 'length preamble longer than 5 bytes');
}
