/**
 * Zero-page detection (QEMU's buffer_is_zero). In Node it is a memcmp against a shared zero
 * buffer (`Buffer#compare`): 15-20x faster than a JS word loop, which matters because every
 * guest page goes through here. Browsers get the portable loop.
 */

interface ZeroComparer {
  compare(target: Uint8Array, targetStart: number, targetEnd: number, sourceStart: number, sourceEnd: number): number;
}

/** Bytes compared per memcmp call: bounds the shared zero buffer whatever the input length. */
const ZERO_SPAN = 64 * 1024;

let zeros: ZeroComparer | null | undefined;

function nodeZeros(): ZeroComparer | null {
  const NodeBuffer = (globalThis as { Buffer?: { alloc(size: number): ZeroComparer } }).Buffer;
  return typeof NodeBuffer?.alloc === 'function' ? NodeBuffer.alloc(ZERO_SPAN) : null;
}

/** True when every byte of `bytes` is zero. */
export function isZeroPage(bytes: Uint8Array): boolean {
  zeros ??= nodeZeros();
  if (zeros === null) return isZeroPortable(bytes);
  const n = bytes.length;
  for (let at = 0; at < n; at += ZERO_SPAN) {
    const span = Math.min(ZERO_SPAN, n - at);
    if (zeros.compare(bytes, at, at + span, 0, span) !== 0) return false;
  }
  return true;
}

/** The loop used where Node's Buffer is absent; exported for tests. */
export function isZeroPortable(bytes: Uint8Array): boolean {
  let i = 0;
  const n = bytes.length;
  if ((bytes.byteOffset & 3) === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, n >>> 2);
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    i = words.length << 2;
  }
  for (; i < n; i++) if (bytes[i] !== 0) return false;
  return true;
}
