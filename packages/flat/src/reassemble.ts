import { VmcoreError, VmcoreErrorCode, YieldBudget, checkAborted, type PositionedSink } from '@vmcore/bytes';
import { FLAT_HEADER_SIZE, RECORD_HEADER_SIZE } from './format.js';
import { DEFAULT_MAX_EMPTY_RECORDS, checkFlatHeader, decodeRecordHeader, tooManyEmptyRecords, type FlatLimits } from './limits.js';

export interface ReassembleOptions extends FlatLimits {
  /** Used in error messages. Default "<flattened stream>". */
  name?: string;
  /** Stops between records and pieces of records (VMCORE_ABORTED) when aborted. */
  signal?: AbortSignal;
}

export interface ReassembleResult {
  /** Data records copied (the end marker not counted). */
  records: number;
  /** Size of the reassembled file: the highest offset + size written. */
  size: number;
  /** Bytes of flattened input consumed, up to and including the end marker. */
  inputBytes: number;
}

/**
 * What `makedumpfile -R` does: reads a flattened stream and performs each record's positioned
 * write on `out`. Streams: memory is bounded by the input's chunk size, whatever the records'
 * sizes. Throws VmcoreError on a bad header, a bad record or a stream without the end marker.
 * Bytes after the end marker are not read.
 */
export async function reassemble(
  input: AsyncIterable<Uint8Array>,
  out: PositionedSink,
  options: ReassembleOptions = {},
): Promise<ReassembleResult> {
  const name = options.name ?? '<flattened stream>';
  const reader = new ChunkReader(input[Symbol.asyncIterator]());
  const header = await reader.readExact(FLAT_HEADER_SIZE);
  if (header.length < FLAT_HEADER_SIZE) {
    if (header.length >= 16) checkFlatHeader(padTo(header, 32), name);
    throw new VmcoreError(
      VmcoreErrorCode.Truncated,
      `${name}: flattened header needs ${FLAT_HEADER_SIZE} bytes but the stream has only ${header.length}`,
    );
  }
  checkFlatHeader(header, name);

  let records = 0;
  let empty = 0;
  const maxEmpty = options.maxEmptyRecords ?? DEFAULT_MAX_EMPTY_RECORDS;
  let size = 0;
  // Counts record headers too: a stream of empty records moves no data but still costs time.
  const budget = new YieldBudget(options.signal, name);
  const writer = new CoalescingWriter(out);
  for (;;) {
    await budget.tick(RECORD_HEADER_SIZE);
    const position = reader.position;
    const recordHeader = await reader.readExact(RECORD_HEADER_SIZE);
    if (recordHeader.length < RECORD_HEADER_SIZE) {
      throw new VmcoreError(
        VmcoreErrorCode.Truncated,
        `${name}: stream ends at offset ${reader.position} after ${records} records without the end marker (-1, -1)`,
      );
    }
    const record = decodeRecordHeader(recordHeader, position, name, options);
    if (record.end) break;
    if (record.size === 0 && ++empty > maxEmpty) throw tooManyEmptyRecords(name, maxEmpty, position);
    let done = 0;
    while (done < record.size) {
      const piece = await reader.readSome(record.size - done);
      if (piece.length === 0) {
        throw new VmcoreError(
          VmcoreErrorCode.Truncated,
          `${name}: record at offset ${position} needs ${record.size} data bytes but the stream ends after ${done}`,
        );
      }
      checkAborted(options.signal, name);
      await writer.write(record.offset + done, piece);
      done += piece.length;
      await budget.tick(piece.length);
    }
    records++;
    size = Math.max(size, record.offset + record.size);
  }
  await writer.flush();
  return { records, size, inputBytes: reader.position };
}

/** Bytes gathered before one positioned write. */
const WRITE_BATCH = 4 << 20;

/**
 * Joins writes that continue one another (a kdump's records mostly do: QEMU writes one per
 * 16 KiB of page data) into one positioned write of up to 4 MiB: one system call where there
 * were hundreds. A write elsewhere flushes first, so overlapping records land in stream order.
 */
class CoalescingWriter {
  private buffer: Uint8Array | undefined;
  private start = 0;
  private length = 0;

  constructor(private readonly out: PositionedSink) {}

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    if (this.length > 0 && offset !== this.start + this.length) await this.flush();
    let at = 0;
    while (at < bytes.length) {
      if (this.length === 0) this.start = offset + at;
      this.buffer ??= new Uint8Array(WRITE_BATCH);
      const n = Math.min(bytes.length - at, WRITE_BATCH - this.length);
      this.buffer.set(bytes.subarray(at, at + n), this.length);
      this.length += n;
      at += n;
      if (this.length === WRITE_BATCH) await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.length === 0) return;
    const bytes = this.buffer!.subarray(0, this.length);
    this.length = 0;
    // A sink that may still hold the buffer after write() resolves gets it for good.
    if (this.out.doneWithBytesOnResolve !== true) this.buffer = undefined;
    await this.out.write(this.start, bytes);
  }
}

function padTo(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(length, bytes.length));
  out.set(bytes);
  return out;
}

/** Pulls exact or bounded byte counts out of an async iterator of chunks, copying only across chunk edges. */
class ChunkReader {
  private current: Uint8Array = new Uint8Array(0);
  private at = 0;
  private done = false;
  position = 0;

  constructor(private readonly iterator: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (this.at >= this.current.length) {
      if (this.done) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      this.current = next.value;
      this.at = 0;
    }
    return true;
  }

  /** Up to `max` bytes (a view into the current chunk); empty only at the end of the stream. */
  async readSome(max: number): Promise<Uint8Array> {
    if (!(await this.fill())) return new Uint8Array(0);
    const n = Math.min(max, this.current.length - this.at);
    const piece = this.current.subarray(this.at, this.at + n);
    this.at += n;
    this.position += n;
    return piece;
  }

  /** Exactly `length` bytes, or fewer only when the stream ends first. */
  async readExact(length: number): Promise<Uint8Array> {
    const first = await this.readSome(length);
    if (first.length === length || first.length === 0) return first;
    const out = new Uint8Array(length);
    out.set(first);
    let filled = first.length;
    while (filled < length) {
      const piece = await this.readSome(length - filled);
      if (piece.length === 0) return out.subarray(0, filled);
      out.set(piece, filled);
      filled += piece.length;
    }
    return out;
  }
}
