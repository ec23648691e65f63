import { VmcoreError, VmcoreErrorCode, hex } from '@vmcore/bytes';
import { FLAT_END_FLAG, FLAT_SIGNATURE, FLAT_TYPE, MakedumpfileHeader, MakedumpfileDataHeader } from './format.js';

/** Limits a reader applies to records it did not write. */
export interface FlatLimits {
  /** Largest accepted record data size. Default 1 GiB (QEMU and makedumpfile write MiBs at most). */
  maxRecordSize?: number;
  /** Largest accepted reassembled size (offset + size of any record). Default 2^50 bytes. */
  maxOutputSize?: number;
  /**
   * Most records of size 0 accepted. Neither QEMU nor makedumpfile writes them and libkdumpfile
   * rejects them; an endless run of them is what a file of zeros (a sparse giant) reads as.
   * Default 4096.
   */
  maxEmptyRecords?: number;
}

export const DEFAULT_MAX_RECORD_SIZE = 1 << 30;
export const DEFAULT_MAX_EMPTY_RECORDS = 4096;

export function tooManyEmptyRecords(name: string, limit: number, position: number): VmcoreError {
  return new VmcoreError(
    VmcoreErrorCode.Corrupt,
    `${name}: more than ${limit} flattened records of size 0 (the last at offset ${position}); QEMU and makedumpfile never write them, so this is not a flattened dump (a file of zeros?)`,
  );
}
export const DEFAULT_MAX_OUTPUT_SIZE = 2 ** 50;

/** Checks the 4096-byte header's first 32 bytes; throws with what was found. */
export function checkFlatHeader(bytes: Uint8Array, name: string): void {
  const header = MakedumpfileHeader.decode(bytes, 'be');
  const signatureOk = bytes.subarray(0, 16).every((b, i) => b === (i < FLAT_SIGNATURE.length ? FLAT_SIGNATURE.charCodeAt(i) : 0));
  if (!signatureOk) {
    throw new VmcoreError(
      VmcoreErrorCode.BadMagic,
      `${name}: not a makedumpfile flattened stream: expected signature "makedumpfile" at offset 0, found ${JSON.stringify(header.signature)}`,
    );
  }
  if (header.type !== FLAT_TYPE) {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `${name}: flattened header type ${header.type} at offset 16, expected 1`);
  }
  if (header.version < 1n) {
    throw new VmcoreError(VmcoreErrorCode.Unsupported, `${name}: flattened header version ${header.version} at offset 24, expected 1`);
  }
}

export type FlatRecord = { end: true } | { end: false; offset: number; size: number };

/** Decodes and validates one record header found at `position` of the flattened stream. */
export function decodeRecordHeader(bytes: Uint8Array, position: number, name: string, limits: FlatLimits = {}): FlatRecord {
  const { offset, size } = MakedumpfileDataHeader.decode(bytes, 'be');
  if (offset === FLAT_END_FLAG && size === FLAT_END_FLAG) return { end: true };
  const where = `${name}: flattened record at offset ${position}`;
  if (offset < 0n) throw new VmcoreError(VmcoreErrorCode.Corrupt, `${where} has negative offset ${offset}`);
  if (size < 0n) throw new VmcoreError(VmcoreErrorCode.Corrupt, `${where} has negative size ${size}`);
  const maxRecord = limits.maxRecordSize ?? DEFAULT_MAX_RECORD_SIZE;
  if (size > BigInt(maxRecord)) {
    throw new VmcoreError(VmcoreErrorCode.TooLarge, `${where} has size ${size}, more than the limit of ${maxRecord} bytes`);
  }
  const maxOutput = limits.maxOutputSize ?? DEFAULT_MAX_OUTPUT_SIZE;
  if (offset + size > BigInt(maxOutput)) {
    throw new VmcoreError(
      VmcoreErrorCode.TooLarge,
      `${where} writes up to ${hex(offset + size)}, beyond the limit of ${hex(maxOutput)} bytes`,
    );
  }
  return { end: false, offset: Number(offset), size: Number(size) };
}
