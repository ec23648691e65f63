import { defineStruct } from '@vmcore/bytes';

/** makedumpfile's `MAX_SIZE_MDF_HEADER`: the flattened header occupies one 4 KiB block. */
export const FLAT_HEADER_SIZE = 4096;
export const FLAT_SIGNATURE = 'makedumpfile';
/** `TYPE_FLAT_HEADER` and `VERSION_FLAT_HEADER` in makedumpfile.h and QEMU's dump.h. */
export const FLAT_TYPE = 1n;
export const FLAT_VERSION = 1n;
/** `END_FLAG_FLAT_HEADER`: a record with offset and size both -1 ends the stream. */
export const FLAT_END_FLAG = -1n;

/** struct makedumpfile_header (QEMU's MakedumpfileHeader), always big-endian. */
export const MakedumpfileHeader = defineStruct('makedumpfile_header', [
  ['signature', { chars: 16 }],
  ['type', 'i64'],
  ['version', 'i64'],
] as const);

/** struct makedumpfile_data_header (QEMU's MakedumpfileDataHeader), always big-endian. */
export const MakedumpfileDataHeader = defineStruct('makedumpfile_data_header', [
  ['offset', 'i64'],
  ['size', 'i64'],
] as const);

export const RECORD_HEADER_SIZE = MakedumpfileDataHeader.size;

/** The 4096-byte block that starts every flattened stream. */
export function encodeFlatHeader(): Uint8Array {
  const block = new Uint8Array(FLAT_HEADER_SIZE);
  MakedumpfileHeader.encode({ signature: FLAT_SIGNATURE, type: FLAT_TYPE, version: FLAT_VERSION }, 'be', block);
  return block;
}

export function encodeRecordHeader(offset: number | bigint, size: number | bigint): Uint8Array {
  return MakedumpfileDataHeader.encode({ offset: BigInt(offset), size: BigInt(size) }, 'be');
}

/**
 * True when `firstBytes` starts with the flattened header: the NUL-padded "makedumpfile"
 * signature and, when at least 24 bytes are given, type 1.
 */
export function isFlattened(firstBytes: Uint8Array): boolean {
  if (firstBytes.length < 16) return false;
  for (let i = 0; i < 16; i++) {
    const expected = i < FLAT_SIGNATURE.length ? FLAT_SIGNATURE.charCodeAt(i) : 0;
    if (firstBytes[i] !== expected) return false;
  }
  if (firstBytes.length < MakedumpfileHeader.size) return true;
  return MakedumpfileHeader.decode(firstBytes, 'be').type === FLAT_TYPE;
}
