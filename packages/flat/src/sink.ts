import { VmcoreError, VmcoreErrorCode, type PositionedSink, type SequentialSink } from '@vmcore/bytes';
import { RECORD_HEADER_SIZE, encodeFlatHeader, encodeRecordHeader } from './format.js';

/** Below this size a record's header and data go out as one write (one pipe write, no split). */
const COALESCE_LIMIT = 64 * 1024;

/**
 * Turns positioned writes into makedumpfile flattened records on an append-only sink (a pipe,
 * stdout, a socket), as QEMU's write_buffer() does for the kdump-* formats. The 4096-byte
 * header goes out before the first record; `finish()` appends the (-1, -1) end marker.
 */
export class FlattenedSink implements PositionedSink {
  /** Records are appended: a writer cannot rewrite earlier bytes in place (see KdumpSink). */
  readonly appendOnly = true;
  private started = false;
  private finished = false;
  private recordCount = 0;
  private streamBytes = 0;

  constructor(private readonly out: SequentialSink) {}

  /** Records written so far (the end marker not counted). */
  get records(): number {
    return this.recordCount;
  }

  /** A record's bytes are copied or written when write() resolves iff the underlying sink says so of its writes. */
  get doneWithBytesOnResolve(): boolean {
    return this.out.doneWithBytesOnResolve === true;
  }

  /** Bytes of flattened stream written so far. */
  get bytesWritten(): number {
    return this.streamBytes;
  }

  async write(offset: number, bytes: Uint8Array): Promise<void> {
    if (this.finished) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `flattened stream: write at offset ${offset} after finish()`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new VmcoreError(VmcoreErrorCode.InvalidArgument, `flattened stream: invalid record offset ${offset}`);
    }
    await this.start();
    // libkdumpfile rejects records of size 0, so an empty write emits nothing.
    if (bytes.length === 0) return;
    const header = encodeRecordHeader(offset, bytes.length);
    if (bytes.length <= COALESCE_LIMIT) {
      const record = new Uint8Array(RECORD_HEADER_SIZE + bytes.length);
      record.set(header);
      record.set(bytes, RECORD_HEADER_SIZE);
      await this.emit(record);
    } else {
      await this.emit(header);
      await this.emit(bytes);
    }
    this.recordCount++;
  }

  /** Writes the header if nothing was written yet, then the end marker. Idempotent. */
  async finish(): Promise<void> {
    if (this.finished) return;
    await this.start();
    this.finished = true;
    await this.emit(encodeRecordHeader(-1n, -1n));
  }

  /** finish(), then closes the underlying sink. */
  async close(): Promise<void> {
    await this.finish();
    await this.out.close?.();
  }

  private async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.emit(encodeFlatHeader());
  }

  private async emit(bytes: Uint8Array): Promise<void> {
    await this.out.write(bytes);
    this.streamBytes += bytes.length;
  }
}
