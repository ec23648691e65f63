/**
 * The order QEMU prints a dictionary's members in. A QDict is a hash table of 512 buckets
 * (qobject/qdict.c): iteration walks the buckets in order, and each bucket's list holds the most
 * recently inserted key first. Clients see this order in every reply, event and echoed id.
 */
import { modUtf8Bytes } from './mod-utf8.js';

const QDICT_BUCKET_MAX = 512;

/** tdb_hash() over the key's modified UTF-8 bytes. */
export function tdbHash(key: string): number {
  const bytes = modUtf8Bytes(key);
  let value = Math.imul(0x238f13af, bytes.length) >>> 0;
  for (let i = 0; i < bytes.length; i++) value = (value + ((bytes[i]! << ((i * 5) % 24)) >>> 0)) >>> 0;
  return (Math.imul(1103515243, value) + 12345) >>> 0;
}

/** Keys given in insertion order, returned in QEMU's iteration order. */
export function qdictOrder(keys: readonly string[]): string[] {
  const decorated = keys.map((key, inserted) => ({ key, inserted, bucket: tdbHash(key) % QDICT_BUCKET_MAX }));
  decorated.sort((a, b) => a.bucket - b.bucket || b.inserted - a.inserted);
  return decorated.map((entry) => entry.key);
}
