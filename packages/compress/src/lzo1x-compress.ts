import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';

// LZO1X-1 as liblzo2's lzo1x_1_compress / Linux's lzo1x_1_do_compress write it: a 2^D_BITS
// hash dictionary of 4-byte sequences, literal runs, M2/M3/M4 matches, end marker 11 00 00.
const D_BITS = 14;
const D_SIZE = 1 << D_BITS;
const M2_MAX_LEN = 8;
const M2_MAX_OFFSET = 0x0800;
const M3_MAX_OFFSET = 0x4000;
const M3_MAX_LEN = 33;
const M4_MAX_LEN = 9;
const M4_MAX_OFFSET = 0xbfff;
const M3_MARKER = 32;
const M4_MARKER = 16;

// Positions inside one block of at most M4_MAX_OFFSET + 1 bytes fit in 16 bits (lzo_dict_t).
const dict = new Uint16Array(D_SIZE);
// Literals the last block left unwritten (lzo1x_1_do_compress's return value).
let carried = 0;

/** Worst-case LZO1X-1 output for `length` input bytes (the bound QEMU allocates, from the LZO FAQ). */
export function lzo1xMaxCompressedLength(length: number): number {
  return length + (length >>> 4) + 64 + 3;
}

/** LZO1X-1 compression of `src` into a new array (the stream lzo1x_1_compress produces). */
export function lzo1xCompress(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(lzo1xMaxCompressedLength(src.length));
  return dst.slice(0, lzo1xCompressInto(src, dst, 0));
}

/**
 * LZO1X-1 compression of `src` into `dst` at `dstOffset`; returns the bytes written.
 * `dst` must have lzo1xMaxCompressedLength(src.length) bytes free.
 */
export function lzo1xCompressInto(src: Uint8Array, dst: Uint8Array, dstOffset: number): number {
  if (dst.length - dstOffset < lzo1xMaxCompressedLength(src.length)) {
    throw new VmcoreError(
      VmcoreErrorCode.InvalidArgument,
      `lzo: output has ${dst.length - dstOffset} bytes free, needs ${lzo1xMaxCompressedLength(src.length)}`,
    );
  }
  let ip = 0;
  let op = dstOffset;
  let left = src.length;
  let t = 0;
  while (left > 20) {
    const blockLength = Math.min(left, M4_MAX_OFFSET + 1);
    op = compressBlock(src, ip, blockLength, dst, op, t);
    t = carried;
    ip += blockLength;
    left -= blockLength;
  }
  t += left;
  if (t > 0) {
    const ii = src.length - t;
    if (op === dstOffset && t <= 238) {
      dst[op++] = 17 + t;
    } else if (t <= 3) {
      dst[op - 2] = dst[op - 2]! | t;
    } else if (t <= 18) {
      dst[op++] = t - 3;
    } else {
      op = writeLength(dst, op, t - 18);
    }
    op = copyBytes(src, ii, dst, op, t);
  }
  dst[op++] = M4_MARKER | 1;
  dst[op++] = 0;
  dst[op++] = 0;
  return op - dstOffset;
}

/** lzo1x_1_do_compress over src[base, base+length); `ti` literals before `base` are still unwritten. */
function compressBlock(src: Uint8Array, base: number, length: number, dst: Uint8Array, op: number, ti: number): number {
  const inEnd = base + length;
  const ipEnd = inEnd - 20;
  let ii = base;
  let ip = base + (ti < 4 ? 4 - ti : 0);
  dict.fill(0);

  literal: for (;;) {
    // Skip faster through incompressible data: one more byte per 32 literals.
    ip += 1 + ((ip - ii) >> 5);
    for (;;) {
      if (ip >= ipEnd) break literal;
      const dv = read32(src, ip);
      const h = Math.imul(dv, 0x1824429d) >>> (32 - D_BITS);
      const mPos = base + dict[h]!;
      dict[h] = ip - base;
      if (dv !== read32(src, mPos)) continue literal;

      ii -= ti;
      ti = 0;
      const t = ip - ii;
      if (t !== 0) {
        if (t <= 3) {
          dst[op - 2] = dst[op - 2]! | t;
        } else if (t <= 18) {
          dst[op++] = t - 3;
        } else {
          op = writeLength(dst, op, t - 18);
        }
        op = copyBytes(src, ii, dst, op, t);
      }

      let mLen = 4;
      while (ip + mLen < ipEnd && src[ip + mLen] === src[mPos + mLen]) mLen++;
      let mOff = ip - mPos;
      ip += mLen;
      ii = ip;
      if (mLen <= M2_MAX_LEN && mOff <= M2_MAX_OFFSET) {
        mOff -= 1;
        dst[op++] = ((mLen - 1) << 5) | ((mOff & 7) << 2);
        dst[op++] = mOff >>> 3;
      } else if (mOff <= M3_MAX_OFFSET) {
        mOff -= 1;
        if (mLen <= M3_MAX_LEN) {
          dst[op++] = M3_MARKER | (mLen - 2);
        } else {
          dst[op++] = M3_MARKER;
          op = writeZeroRun(dst, op, mLen - M3_MAX_LEN);
        }
        dst[op++] = (mOff << 2) & 0xff;
        dst[op++] = mOff >>> 6;
      } else {
        mOff -= 0x4000;
        const high = (mOff >>> 11) & 8;
        if (mLen <= M4_MAX_LEN) {
          dst[op++] = M4_MARKER | high | (mLen - 2);
        } else {
          dst[op++] = M4_MARKER | high;
          op = writeZeroRun(dst, op, mLen - M4_MAX_LEN);
        }
        dst[op++] = (mOff << 2) & 0xff;
        dst[op++] = (mOff >>> 6) & 0xff;
      }
    }
  }
  carried = inEnd - (ii - ti);
  return op;
}

/** A long literal-run length: 0, then 255 per zero byte, then the remainder. */
function writeLength(dst: Uint8Array, op: number, n: number): number {
  dst[op++] = 0;
  return writeZeroRun(dst, op, n);
}

function writeZeroRun(dst: Uint8Array, op: number, n: number): number {
  while (n > 255) {
    n -= 255;
    dst[op++] = 0;
  }
  dst[op++] = n;
  return op;
}

function copyBytes(src: Uint8Array, from: number, dst: Uint8Array, op: number, n: number): number {
  if (n > 16) {
    dst.set(src.subarray(from, from + n), op);
    return op + n;
  }
  for (let i = 0; i < n; i++) dst[op + i] = src[from + i]!;
  return op + n;
}

function read32(src: Uint8Array, p: number): number {
  return src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
}
