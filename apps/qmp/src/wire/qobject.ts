/**
 * JSON values as QEMU's QObject model sees them: integers and floats are different types
 * (`begin: 1.0` is "expected: integer"), integers beyond int64 stay exact as bigint, and
 * dictionaries keep insertion order (Map) so no key is special (`__proto__`, "1").
 */
export class QmpFloat {
  constructor(readonly value: number) {}
}

export type QObject = null | boolean | string | number | bigint | QmpFloat | QObject[] | QDict;
export type QDict = Map<string, QObject>;

/** Plain objects are accepted on output too (handlers build replies as literals). */
export type WireValue = QObject | { readonly [key: string]: WireValue | undefined } | readonly WireValue[];

export function isQDict(value: unknown): value is QDict {
  return value instanceof Map;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** QEMU's int64 → uint64 → double fallback for an integer token. */
export function integerFromToken(text: string): number | bigint | QmpFloat {
  const value = BigInt(text);
  if (value >= INT64_MIN && value <= UINT64_MAX) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  return new QmpFloat(Number(text));
}

/** QAPI 'int' is int64: a uint64-only value is a type error, as in QEMU's visitor. */
export function asInt64(value: QObject): number | bigint | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' && value >= INT64_MIN && value <= INT64_MAX) return value;
  return undefined;
}
