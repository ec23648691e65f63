/**
 * Windows' KdDebuggerDataBlock encoding (KdCopyDataBlock's inverse): elf2dmp and Volatility
 * decode each u64 as bswap(rol(v ^ KiWaitNever, KiWaitNever & 0xff) ^ KdpDataBlockEncoded) ^ KiWaitAlways.
 */
const M64 = (1n << 64n) - 1n;

function rol(v: bigint, n: bigint): bigint {
  return ((v << n) | (v >> (64n - n))) & M64;
}

function ror(v: bigint, n: bigint): bigint {
  return ((v >> n) | (v << (64n - n))) & M64;
}

function bswap(v: bigint): bigint {
  let out = 0n;
  for (let i = 0n; i < 8n; i++) out = (out << 8n) | ((v >> (8n * i)) & 0xffn);
  return out;
}

export interface KdbgKeys {
  readonly kiWaitNever: bigint;
  readonly kiWaitAlways: bigint;
  readonly kdpDataBlockEncoded: bigint;
}

export function decodeKdbgBlock(v: bigint, k: KdbgKeys): bigint {
  return bswap(rol(v ^ k.kiWaitNever, k.kiWaitNever & 0xffn) ^ k.kdpDataBlockEncoded) ^ k.kiWaitAlways;
}

export function encodeKdbgBlock(v: bigint, k: KdbgKeys): bigint {
  return ror(bswap(v ^ k.kiWaitAlways) ^ k.kdpDataBlockEncoded, k.kiWaitNever & 0xffn) ^ k.kiWaitNever;
}

/** Encodes a whole block (length a multiple of 8) in place of a copy. */
export function encodeKdbg(plain: Uint8Array, keys: KdbgKeys): Uint8Array {
  const out = new Uint8Array(plain.length);
  const src = new DataView(plain.buffer, plain.byteOffset, plain.length);
  const dst = new DataView(out.buffer);
  for (let at = 0; at + 8 <= plain.length; at += 8) dst.setBigUint64(at, encodeKdbgBlock(src.getBigUint64(at, true), keys), true);
  return out;
}
