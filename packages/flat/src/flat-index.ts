import { VmcoreError, VmcoreErrorCode, YieldBudget, partitionPoint, readExact, type RandomAccessSource } from '@vmcore/bytes';
import { FLAT_HEADER_SIZE, RECORD_HEADER_SIZE } from './format.js';
import { DEFAULT_MAX_EMPTY_RECORDS, checkFlatHeader, decodeRecordHeader, tooManyEmptyRecords, type FlatLimits } from './limits.js';

export interface FlattenedIndexOptions extends FlatLimits {
  /**
   * Most records accepted, end marker excluded; records of size 0 count too (a sparse file of
   * zeros is an endless run of them). Default 4 Mi.
   */
  maxRecords?: number;
  /** Stops indexing (VMCORE_ABORTED) when aborted; checked between windows of record headers. */
  signal?: AbortSignal;
}

/** How many bytes of record headers are read at once while indexing small records. */
const SCAN_WINDOW = 1 << 20;

/**
 * A flattened file read in place: an index of its records, exposed as a RandomAccessSource
 * over the file `makedumpfile -R` would produce, without writing it. Where records overlap the
 * later one wins (as with positioned writes); bytes no record covers read as zero.
 */
export class FlattenedIndex implements RandomAccessSource {
  readonly name: string;

  private constructor(
    private readonly source: RandomAccessSource,
    /** Reassembled size: the highest offset + size of any record. */
    readonly size: number,
    /** Number of data records in the file. */
    readonly records: number,
    /** Sorted, non-overlapping segments: reassembled start, length, position in the flattened file. */
    private readonly segStart: Float64Array,
    private readonly segLength: Float64Array,
    private readonly segSource: Float64Array,
  ) {
    this.name = `${source.name} (reassembled)`;
  }

  static async build(source: RandomAccessSource, options: FlattenedIndexOptions = {}): Promise<FlattenedIndex> {
    const maxRecords = options.maxRecords ?? 4 * 1024 * 1024;
    const maxEmpty = options.maxEmptyRecords ?? DEFAULT_MAX_EMPTY_RECORDS;
    const header = await readExact(source, 0, FLAT_HEADER_SIZE, 'flattened header');
    checkFlatHeader(header, source.name);

    let offsets: Float64Array = new Float64Array(1024);
    let sizes: Float64Array = new Float64Array(1024);
    let positions: Float64Array = new Float64Array(1024);
    let count = 0;
    let size = 0;
    let position = FLAT_HEADER_SIZE;
    let window: Uint8Array = new Uint8Array(0);
    let windowStart = 0;
    let seen = 0;
    const budget = new YieldBudget(options.signal, source.name);

    for (;;) {
      if (position + RECORD_HEADER_SIZE > source.size) {
        throw new VmcoreError(
          VmcoreErrorCode.Truncated,
          `${source.name}: file ends at offset ${source.size} after ${count} records without the end marker (-1, -1)`,
        );
      }
      if (position < windowStart || position + RECORD_HEADER_SIZE > windowStart + window.length) {
        await budget.tick(window.length);
        windowStart = position;
        window = await readExact(source, position, Math.min(SCAN_WINDOW, source.size - position), 'flattened record headers');
      }
      const at = position - windowStart;
      const record = decodeRecordHeader(window.subarray(at, at + RECORD_HEADER_SIZE), position, source.name, options);
      if (record.end) break;
      if (seen === maxRecords) {
        throw new VmcoreError(
          VmcoreErrorCode.TooLarge,
          `${source.name}: more than ${maxRecords} flattened records (${seen - count} of them empty) before offset ${position} and no end marker yet`,
        );
      }
      seen++;
      if (record.size === 0 && seen - count > maxEmpty) throw tooManyEmptyRecords(source.name, maxEmpty, position);
      const dataAt = position + RECORD_HEADER_SIZE;
      if (dataAt + record.size > source.size) {
        throw new VmcoreError(
          VmcoreErrorCode.Truncated,
          `${source.name}: record at offset ${position} needs ${record.size} data bytes but the file ends at ${source.size}`,
        );
      }
      if (record.size > 0) {
        if (count === offsets.length) {
          offsets = grow(offsets);
          sizes = grow(sizes);
          positions = grow(positions);
        }
        offsets[count] = record.offset;
        sizes[count] = record.size;
        positions[count] = dataAt;
        count++;
        size = Math.max(size, record.offset + record.size);
      }
      position = dataAt + record.size;
    }

    const segments = resolveSegments(offsets, sizes, positions, count);
    return new FlattenedIndex(source, size, count, segments.start, segments.length, segments.source);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.min(Math.max(0, offset), this.size);
    const end = Math.min(this.size, start + Math.max(0, length));
    const out = new Uint8Array(end - start);
    let i = this.segmentAtOrAfter(start);
    while (i < this.segStart.length && this.segStart[i]! < end) {
      const segStart = this.segStart[i]!;
      const segEnd = segStart + this.segLength[i]!;
      const from = Math.max(start, segStart);
      const to = Math.min(end, segEnd);
      if (to > from) {
        const bytes = await readExact(this.source, this.segSource[i]! + (from - segStart), to - from, 'flattened record data');
        out.set(bytes, from - start);
      }
      i++;
    }
    return out;
  }

  /** Bytes of [offset, offset + length) that some record wrote; the rest reads as zeros. */
  storedBytes(offset: number, length: number): number {
    const end = offset + length;
    let stored = 0;
    for (let i = this.segmentAtOrAfter(offset); i < this.segStart.length && this.segStart[i]! < end; i++) {
      stored += Math.min(end, this.segStart[i]! + this.segLength[i]!) - Math.max(offset, this.segStart[i]!);
    }
    return stored;
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }

  /** Index of the first segment that ends after `offset`. */
  private segmentAtOrAfter(offset: number): number {
    return partitionPoint(this.segStart.length, (i) => this.segStart[i]! + this.segLength[i]! <= offset);
  }
}

function grow(array: Float64Array): Float64Array {
  const bigger = new Float64Array(array.length * 2);
  bigger.set(array);
  return bigger;
}

/**
 * Flattens possibly overlapping records into sorted disjoint segments where, at every byte,
 * the record written last wins. Records rarely overlap, so the common case is a sort and a scan.
 */
function resolveSegments(offsets: Float64Array, sizes: Float64Array, positions: Float64Array, count: number) {
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => offsets[a]! - offsets[b]! || a - b);
  const start: number[] = [];
  const length: number[] = [];
  const source: number[] = [];
  const push = (record: number, from: number, to: number) => {
    if (to <= from) return;
    const src = positions[record]! + (from - offsets[record]!);
    const last = start.length - 1;
    if (last >= 0 && start[last]! + length[last]! === from && source[last]! + length[last]! === src) {
      length[last]! += to - from;
    } else {
      start.push(from);
      length.push(to - from);
      source.push(src);
    }
  };

  let overlapping = false;
  for (let k = 1; k < count; k++) {
    const prev = order[k - 1]!;
    if (offsets[prev]! + sizes[prev]! > offsets[order[k]!]!) {
      overlapping = true;
      break;
    }
  }
  if (!overlapping) {
    for (const r of order) push(r, offsets[r]!, offsets[r]! + sizes[r]!);
  } else {
    // Sweep over record boundaries; the active record with the highest index owns each interval.
    const events: { at: number; record: number; open: boolean }[] = [];
    for (let r = 0; r < count; r++) {
      events.push({ at: offsets[r]!, record: r, open: true }, { at: offsets[r]! + sizes[r]!, record: r, open: false });
    }
    events.sort((a, b) => a.at - b.at);
    const heap = new MaxHeap();
    const closed = new Uint8Array(count);
    for (let e = 0; e < events.length;) {
      const at = events[e]!.at;
      while (e < events.length && events[e]!.at === at) {
        const event = events[e]!;
        if (event.open) heap.push(event.record);
        else closed[event.record] = 1;
        e++;
      }
      while (heap.size > 0 && closed[heap.peek()]) heap.pop();
      if (heap.size === 0 || e === events.length) continue;
      const owner = heap.peek();
      push(owner, at, events[e]!.at);
    }
  }
  return { start: Float64Array.from(start), length: Float64Array.from(length), source: Float64Array.from(source) };
}

class MaxHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): number {
    return this.items[0]!;
  }
  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! >= items[i]!) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }
  pop(): void {
    const items = this.items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && items[l]! > items[m]!) m = l;
      if (r < items.length && items[r]! > items[m]!) m = r;
      if (m === i) break;
      [items[m], items[i]] = [items[i]!, items[m]!];
      i = m;
    }
  }
}
