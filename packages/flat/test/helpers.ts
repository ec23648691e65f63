import { concatBytes, type SequentialSink } from '@vmcore/bytes';

/** Collects sequential writes. */
export class CollectSink implements SequentialSink {
  private parts: Uint8Array[] = [];
  async write(bytes: Uint8Array): Promise<void> {
    this.parts.push(bytes.slice());
  }
  bytes(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, Math.min(bytes.length, i + size));
}

export function be64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigInt64(0, value);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}

/** A flattened stream built by hand from (offset, bytes) records. */
export function handFlat(records: [bigint, bigint, Uint8Array?][], end = true): Uint8Array {
  const header = new Uint8Array(4096);
  header.set(new TextEncoder().encode('makedumpfile'));
  header.set(be64(1n), 16);
  header.set(be64(1n), 24);
  const parts: Uint8Array[] = [header];
  for (const [offset, size, data] of records) parts.push(be64(offset), be64(size), data ?? new Uint8Array(0));
  if (end) parts.push(be64(-1n), be64(-1n));
  return concat(...parts);
}
