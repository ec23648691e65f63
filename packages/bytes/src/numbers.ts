import { VmcoreError, VmcoreErrorCode } from './errors.js';

/** Physical addresses, offsets and sizes are JS numbers; this is where a u64 from a file becomes one. */
export function toSafeNumber(value: bigint | number, what: string): number {
  const n = typeof value === 'bigint' ? value : BigInt(value);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new VmcoreError(VmcoreErrorCode.OutOfRange, `${what} 0x${n.toString(16)} is outside the safe integer range`);
  }
  return Number(n);
}

/** Throws unless [offset, offset + length) lies inside [0, total). */
export function checkRange(total: number, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > total) {
    throw new VmcoreError(VmcoreErrorCode.Truncated, `${what}: needs bytes ${offset}..${offset + length} but only ${total} are available`);
  }
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
