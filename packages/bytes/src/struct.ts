import { VmcoreError, VmcoreErrorCode } from './errors.js';

export type Endian = 'le' | 'be';

/**
 * A field of a packed C struct. Integers up to 32 bits decode to number, 64-bit ones to bigint;
 * `bytes` is a raw array, `chars` a NUL-padded string (like `char name[65]`).
 */
export type FieldType = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'i64' | { readonly bytes: number } | { readonly chars: number };

type FieldValue<T extends FieldType> = T extends 'u64' | 'i64'
  ? bigint
  : T extends 'u8' | 'u16' | 'u32' | 'i32'
    ? number
    : T extends { readonly bytes: number }
      ? Uint8Array
      : string;

export type FieldList = readonly (readonly [name: string, type: FieldType])[];

export type StructValue<F extends FieldList> = {
  [K in F[number] as K[0]]: FieldValue<K[1]>;
};

export interface StructLayout<F extends FieldList> {
  readonly name: string;
  readonly size: number;
  /** Byte offset of each field, for callers that must point into an encoded struct. */
  readonly offsets: { readonly [K in F[number] as K[0]]: number };
  encode(value: Partial<StructValue<F>>, endian: Endian, target?: Uint8Array, at?: number): Uint8Array;
  decode(bytes: Uint8Array, endian: Endian, at?: number): StructValue<F>;
}

function fieldSize(type: FieldType): number {
  if (typeof type === 'object') return 'bytes' in type ? type.bytes : type.chars;
  switch (type) {
    case 'u8':
      return 1;
    case 'u16':
      return 2;
    case 'u32':
    case 'i32':
      return 4;
    case 'u64':
    case 'i64':
      return 8;
  }
}

const textDecoder = new TextDecoder('latin1');

/**
 * Describes a packed C struct once; encode and decode both come from this one table, so no
 * offset arithmetic is repeated by hand. Missing fields encode as zero.
 */
export function defineStruct<const F extends FieldList>(name: string, fields: F): StructLayout<F> {
  const offsets: Record<string, number> = {};
  let size = 0;
  for (const [field, type] of fields) {
    offsets[field] = size;
    size += fieldSize(type);
  }

  return {
    name,
    size,
    offsets: offsets as StructLayout<F>['offsets'],
    encode(value, endian, target = new Uint8Array(size), at = 0) {
      if (at < 0 || at + size > target.length) {
        throw new VmcoreError(VmcoreErrorCode.OutOfRange, `${name}: no room for ${size} bytes at ${at}`);
      }
      const view = new DataView(target.buffer, target.byteOffset + at, size);
      const le = endian === 'le';
      const values = value as Record<string, unknown>;
      for (const [field, type] of fields) {
        const off = offsets[field]!;
        const v = values[field];
        if (v === undefined) continue;
        if (typeof type === 'object') {
          const width = fieldSize(type);
          const raw = typeof v === 'string' ? latin1Bytes(v) : (v as Uint8Array);
          if (raw.length > width) {
            throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `${name}.${field}: ${raw.length} bytes do not fit in ${width}`);
          }
          target.set(raw, at + off);
          continue;
        }
        switch (type) {
          case 'u8':
            view.setUint8(off, v as number);
            break;
          case 'u16':
            view.setUint16(off, v as number, le);
            break;
          case 'u32':
            view.setUint32(off, v as number, le);
            break;
          case 'i32':
            view.setInt32(off, v as number, le);
            break;
          case 'u64':
            view.setBigUint64(off, BigInt.asUintN(64, v as bigint), le);
            break;
          case 'i64':
            view.setBigInt64(off, BigInt.asIntN(64, v as bigint), le);
            break;
        }
      }
      return target;
    },
    decode(bytes, endian, at = 0) {
      if (at < 0 || at + size > bytes.length) {
        throw new VmcoreError(
          VmcoreErrorCode.Truncated,
          `${name}: needs ${size} bytes at offset ${at} but only ${Math.max(0, bytes.length - at)} are available`,
        );
      }
      const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
      const le = endian === 'le';
      const out: Record<string, unknown> = {};
      for (const [field, type] of fields) {
        const off = offsets[field]!;
        if (typeof type === 'object') {
          const slice = bytes.subarray(at + off, at + off + fieldSize(type));
          out[field] = 'bytes' in type ? slice.slice() : cString(slice);
          continue;
        }
        switch (type) {
          case 'u8':
            out[field] = view.getUint8(off);
            break;
          case 'u16':
            out[field] = view.getUint16(off, le);
            break;
          case 'u32':
            out[field] = view.getUint32(off, le);
            break;
          case 'i32':
            out[field] = view.getInt32(off, le);
            break;
          case 'u64':
            out[field] = view.getBigUint64(off, le);
            break;
          case 'i64':
            out[field] = view.getBigInt64(off, le);
            break;
        }
      }
      return out as StructValue<F>;
    },
  };
}

/** The string up to the first NUL. */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return textDecoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Bytes as a string of the same length, one character per byte (the inverse of latin1Bytes). */
export function latin1String(bytes: Uint8Array): string {
  let out = '';
  for (let at = 0; at < bytes.length; at += 0x2000) out += String.fromCharCode(...bytes.subarray(at, at + 0x2000));
  return out;
}
