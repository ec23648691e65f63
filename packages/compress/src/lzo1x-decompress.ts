import { codecError } from './codec.js';

// The LZO1X bitstream as liblzo2's lzo1x_decompress_safe reads it; `state` follows Linux's
// lzo1x_decompress_safe: 0 after a match with no trailing literals, 1-3 after 1-3 trailing
// literals, 4 after a literal run of 4 or more.
const M2_MAX_OFFSET = 0x0800;

/**
 * Decodes an LZO1X stream (from lzo1x_1, lzo1x_999 or any other LZO1X compressor) into at
 * most `maxOutput` bytes. Every read and write is bounds-checked; a truncated stream, a match
 * reaching before the start, output beyond `maxOutput`, a bad end marker or bytes after it
 * throw VMCORE_CODEC.
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

  const truncated = (): never => {
    throw codecError('lzo', `truncated stream: ended at byte ${ipEnd} without the end marker`);
  };
  const tooLong = (n: number): never => {
    throw codecError('lzo', `stream expands beyond ${opEnd} bytes (${n} more at output ${op})`);
  };
  const copyLiterals = (n: number): void => {
    if (n > ipEnd - ip) truncated();
    if (n > opEnd - op) tooLong(n);
    if (n > 8) {
      out.set(src.subarray(ip, ip + n), op);
    } else {
      for (let i = 0; i < n; i++) out[op + i] = src[ip + i]!;
    }
    ip += n;
    op += n;
  };
  // Lengths too long for the instruction: 255 per zero byte, then a non-zero byte.
  const extendedLength = (base: number): number => {
    let n = base;
    for (;;) {
      if (ip >= ipEnd) truncated();
      const b = src[ip++]!;
      if (b !== 0) return n + b;
      n += 255;
      if (n > opEnd) tooLong(n);
    }
  };

  if (ipEnd < 3) {
    throw codecError('lzo', `stream of ${ipEnd} bytes is shorter than the 3-byte end marker`);
  }
  if (src[0]! > 17) {
    // First instruction only: a literal run of byte - 17.
    const t = src[ip++]! - 17;
    copyLiterals(t);
    state = t < 4 ? t : 4;
  }

  for (;;) {
    if (ip >= ipEnd) truncated();
    const t = src[ip++]!;
    let length: number;
    let distance: number;
    let next: number;
    if (t < 16) {
      if (state === 0) {
        copyLiterals(t === 0 ? extendedLength(15) + 3 : t + 3);
        state = 4;
        continue;
      }
      if (ip >= ipEnd) truncated();
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
      if (ip >= ipEnd) truncated();
      next = t & 3;
      length = (t >> 5) + 1;
      distance = 1 + ((t >> 2) & 7) + (src[ip++]! << 3);
    } else if (t >= 32) {
      // M3: from at most 16 KiB back.
      length = (t & 31) + 2;
      if (length === 2) length = extendedLength(33);
      if (ipEnd - ip < 2) truncated();
      const v = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      next = v & 3;
      distance = 1 + (v >> 2);
    } else {
      // M4: from 16-48 KiB back; distance 0 is the end marker.
      length = (t & 7) + 2;
      if (length === 2) length = extendedLength(9);
      if (ipEnd - ip < 2) truncated();
      const v = src[ip]! | (src[ip + 1]! << 8);
      ip += 2;
      next = v & 3;
      const d = ((t & 8) << 11) + (v >> 2);
      if (d === 0) {
        if (length !== 3) throw codecError('lzo', `bad end marker at byte ${ip - 3}: length ${length}, expected 3`);
        if (ip !== ipEnd) throw codecError('lzo', `${ipEnd - ip} bytes after the end marker at byte ${ip - 3}`);
        return op;
      }
      distance = d + 0x4000;
    }
    if (distance > op) {
      throw codecError('lzo', `match at output ${op} reaches ${distance} bytes back, before the start`);
    }
    if (length > opEnd - op) tooLong(length);
    let from = op - distance;
    if (distance >= length) {
      out.copyWithin(op, from, from + length);
      op += length;
    } else {
      // Overlapping copy repeats the last `distance` bytes.
      const end = op + length;
      while (op < end) out[op++] = out[from++]!;
    }
    // Up to 3 literals follow a match, counted in the low bits of its last instruction byte.
    if (next > 0) copyLiterals(next);
    state = next;
  }
}
