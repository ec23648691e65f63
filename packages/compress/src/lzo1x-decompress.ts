import { codecError } from './codec.js';

// The LZO1X bitstream as liblzo2's lzo1x_decompress_safe reads it; `state` follows Linux's
// lzo1x_decompress_safe: 0 after a match with no trailing literals, 1-3 after 1-3 trailing
// literals, 4 after a literal run of 4 or more. No closures over ip/op: V8 would keep them
// in a heap context and the loop would run several times slower.
const M2_MAX_OFFSET = 0x0800;

/**
 * Decodes an LZO1X stream (from lzo1x_1, lzo1x_999 or any other LZO1X compressor) into at
 * most `maxOutput` bytes. Every read and write is bounds-checked; a truncated stream, a match
 * reaching before the start, output beyond `maxOutput` or bytes after the end marker throw
 * VMCORE_CODEC: the streams liblzo2's lzo1x_decompress_safe rejects.
 */
export function lzo1xDecompress(src: Uint8Array, maxOutput: number): Uint8Array {
  const out = new Uint8Array(maxOutput);
  const n = lzo1xDecompressInto(src, out);
  return n === maxOutput ? out : out.slice(0, n);
}

/** Decodes into `out` (its length is the output limit); returns the decoded length. */
export function lzo1xDecompressInto(src: Uint8Array, out: Uint8Array): number {
  const ipEnd = src.length;
  const opEnd = out.length;
  let ip = 0;
  let op = 0;
  let state = 0;

  if (ipEnd < 3) {
    throw codecError('lzo', `stream of ${ipEnd} bytes is shorter than the 3-byte end marker`);
  }
  if (src[0]! > 17) {
    // First instruction only: a literal run of byte - 17.
    const t = src[ip++]! - 17;
    if (t > ipEnd - ip) throw truncated(ipEnd);
    if (t > opEnd - op) throw tooLong(opEnd, op, t);
    for (let i = 0; i < t; i++) out[op++] = src[ip++]!;
    state = t < 4 ? t : 4;
  }

  for (;;) {
    if (ip >= ipEnd) throw truncated(ipEnd);
    let t = src[ip++]!;
    let length: number;
    let distance: number;
    let next: number;
    if (t < 16) {
      if (state === 0) {
        // Literal run of t + 3 bytes; t = 0: 18 + 255 per zero byte + the next non-zero byte.
        if (t === 0) {
          t = 15;
          for (;;) {
            if (ip >= ipEnd) throw truncated(ipEnd);
            const b = src[ip++]!;
            if (b !== 0) {
              t += b;
              break;
            }
            t += 255;
            if (t > opEnd) throw tooLong(opEnd, op, t);
          }
        }
        t += 3;
        if (t > ipEnd - ip) throw truncated(ipEnd);
        if (t > opEnd - op) throw tooLong(opEnd, op, t);
        if (t > 16) {
          out.set(src.subarray(ip, ip + t), op);
          ip += t;
          op += t;
        } else {
          for (let i = 0; i < t; i++) out[op++] = src[ip++]!;
        }
        state = 4;
        continue;
      }
      if (ip >= ipEnd) throw truncated(ipEnd);
      next = t & 3;
      if (state !== 4) {
        // M1: 2 bytes from at most 1 KiB back, after a match's trailing literals.
        length = 2;
        distance = 1 + (t >> 2) + (src[ip++]! << 2);
      } else {
        // M1 right after a literal run: 3 bytes from 2-3 KiB back.
        length = 3;
        distance = 1 + M2_MAX_OFFSET + (t >> 2) + (src[ip++]! << 2);
      }
    } else if (t >= 64) {
      // M2: 3-8 bytes from at most 2 KiB back.
      if (ip >= ipEnd) throw truncated(ipEnd);
      next = t & 3;
      length = (t >> 5) + 1;
      distance = 1 + ((t >> 2) & 7) + (src[ip++]! << 3);
    } else {
      // M3 (32-63): from at most 16 KiB back; M4 (16-31): from 16-48 KiB back, distance 0 = end.
      const m3 = t >= 32;
      length = m3 ? (t & 31) + 2 : (t & 7) + 2;
      if (length === 2) {
        length = m3 ? 33 : 9;
        for (;;) {
          if (ip >= ipEnd) throw truncated(ipEnd);
          const b = src[ip++]!;
          if (b !== 0) {
            length += b;
            break;
          }
          length += 255;
          if (length > opEnd) throw tooLong(opEnd, op, length);
        }
      }
      if (ipEnd - ip < 2) throw truncated(ipEnd);
      const v = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      next = v & 3;
      if (m3) {
        distance = 1 + (v >> 2);
      } else {
        const d = ((t & 8) << 11) + (v >> 2);
        if (d === 0) {
          // Like liblzo2 (what makedumpfile and crash link), any length ends the stream; the
          // compressors write 11 00 00. Trailing bytes are LZO_E_INPUT_NOT_CONSUMED there.
          if (ip !== ipEnd) throw codecError('lzo', `${ipEnd - ip} bytes after the end marker ending at byte ${ip}`);
          return op;
        }
        distance = d + 0x4000;
      }
    }
    if (distance > op) {
      throw codecError('lzo', `match at output ${op} reaches ${distance} bytes back, before the start`);
    }
    if (length > opEnd - op) throw tooLong(opEnd, op, length);
    let from = op - distance;
    if (distance >= length && length > 16) {
      out.copyWithin(op, from, from + length);
      op += length;
    } else {
      // Byte by byte: short, or overlapping (repeats the last `distance` bytes).
      const end = op + length;
      while (op < end) out[op++] = out[from++]!;
    }
    // Up to 3 literals follow a match, counted in the low bits of its last instruction byte.
    if (next > 0) {
      if (next > ipEnd - ip) throw truncated(ipEnd);
      if (next > opEnd - op) throw tooLong(opEnd, op, next);
      out[op++] = src[ip++]!;
      if (next > 1) out[op++] = src[ip++]!;
      if (next > 2) out[op++] = src[ip++]!;
    }
    state = next;
  }
}

function truncated(ipEnd: number): Error {
  return codecError('lzo', `truncated stream: ended at byte ${ipEnd} without the end marker`);
}

function tooLong(opEnd: number, op: number, n: number): Error {
  return codecError('lzo', `stream expands beyond ${opEnd} bytes (${n} more at output ${op})`);
}
