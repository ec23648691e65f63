/**
 * Where the kdump writer puts its bytes: positioned writes. A file (kdump-raw-*) implements it
 * with pwrite, @vmcore/flat's FlattenedSink (kdump-*) with flattened records; structurally the
 * same as @vmcore/bytes' PositionedSink.
 */
export interface KdumpSink {
  write(offset: number, bytes: Uint8Array): Promise<void>;
  /**
   * True when every write is appended to a stream (a flattened sink): the writer then does not
   * rewrite the header at the end to clear its "incomplete" status bit.
   */
  readonly appendOnly?: boolean;
  /**
   * True when a write's bytes are no longer referenced once it resolves (a file): the writer
   * then reuses its write buffers instead of allocating one per flush.
   */
  readonly doneWithBytesOnResolve?: boolean;
}
