import { fstat, write as fsWrite, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { getSystemErrorName, promisify } from 'node:util';
import type { Writable } from 'node:stream';
import { VmcoreError, VmcoreErrorCode } from '@vmcore/bytes';
import { FileSink, FileSource, StreamSink, copyFileRange, errnoText, ioError } from '@vmcore/bytes/node';
import type { DumpSink } from '../dump-to-sink.js';

/** Where a dump goes: a file path (atomic), a Node Writable, or an open file descriptor. */
export type DumpOutput = string | Writable | { readonly fd: number };

export interface OpenedOutput extends DumpSink {
  /** Positioned writes are possible (regular file or block device). */
  readonly seekable: boolean;
}

export interface OutputOptions {
  /** Mode of a created file (QMP's file: outputs use 0o400). Default 0o644. */
  readonly mode?: number;
  /** End a Writable output when the dump is complete. Default true. */
  readonly endStream?: boolean;
}

const fstatAsync = promisify(fstat);

const writeAsync = promisify(fsWrite);

function isWritable(value: unknown): value is Writable {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Writable).write === 'function' &&
    typeof (value as Writable).on === 'function'
  );
}

/** Whether an output allows positioned writes, decided without creating anything. */
export async function isSeekableOutput(output: DumpOutput): Promise<boolean> {
  if (typeof output === 'string') {
    const info = await stat(output).catch(() => undefined);
    return info === undefined || info.isFile() || info.isBlockDevice();
  }
  if (isWritable(output)) return false;
  const info = await fstatAsync(output.fd).catch((error: unknown) => {
    throw ioError(`cannot use fd ${output.fd}`, error);
  });
  return info.isFile() || info.isBlockDevice();
}

class Tracker {
  size = 0;
  note(end: number) {
    if (end > this.size) this.size = end;
  }
}

function streamOutput(stream: Writable, name: string, endStream: boolean): OpenedOutput {
  const sink = new StreamSink(stream, name);
  const tracker = new Tracker();
  return {
    name,
    seekable: false,
    sequential: {
      async write(bytes) {
        await sink.write(bytes);
        tracker.note(tracker.size + bytes.length);
      },
    },
    size: () => tracker.size,
    async commit() {
      if (endStream) await sink.close();
    },
    async abort() {
      if (endStream) stream.destroy();
    },
  };
}

function fileOutput(sink: FileSink, name: string): OpenedOutput {
  const tracker = new Tracker();
  let position = 0;
  return {
    name,
    seekable: true,
    sequential: {
      // A file write is complete when it resolves: the writer may reuse its buffers.
      doneWithBytesOnResolve: true,
      async write(bytes) {
        await sink.write(position, bytes);
        position += bytes.length;
        tracker.note(position);
      },
      async copyFrom(source, offset, length) {
        if (!(await sink.copyRange(source, offset, length, position))) return false;
        position += length;
        tracker.note(position);
        return true;
      },
    },
    positioned: {
      doneWithBytesOnResolve: true,
      async write(offset, bytes) {
        await sink.write(offset, bytes);
        tracker.note(offset + bytes.length);
      },
    },
    size: () => tracker.size,
    commit: () => sink.commit(),
    abort: () => sink.abort(),
  };
}

function fdFileOutput(fd: number): OpenedOutput {
  const name = fd === 1 ? 'stdout' : `fd ${fd}`;
  const tracker = new Tracker();
  const writeAt = async (offset: number, bytes: Uint8Array) => {
    let done = 0;
    try {
      while (done < bytes.length) {
        const { bytesWritten } = await writeAsync(fd, bytes, done, bytes.length - done, offset + done);
        done += bytesWritten;
      }
    } catch (error) {
      throw ioError(`cannot write ${name}`, error);
    }
    tracker.note(offset + bytes.length);
  };
  return {
    name,
    seekable: true,
    sequential: {
      doneWithBytesOnResolve: true,
      write: (bytes) => writeAt(tracker.size, bytes),
      // The caller's descriptor: every byte is written (no holes left for what it held before).
      async copyFrom(source, offset, length) {
        if (!(source instanceof FileSource)) return false;
        const result = await copyFileRange(source.fd, offset, fd, tracker.size, length);
        if (!result.copied) {
          if (result.errno === undefined) return false;
          throw ioError(`cannot write ${name}`, Object.assign(new Error('copy_file_range'), { code: getSystemErrorName(-result.errno) }));
        }
        tracker.note(tracker.size + length);
        return true;
      },
    },
    positioned: { doneWithBytesOnResolve: true, write: writeAt },
    size: () => tracker.size,
    // The caller owns the descriptor; nothing to rename or remove.
    commit: async () => undefined,
    abort: async () => undefined,
  };
}

/**
 * Opens an output. A path becomes an atomic FileSink (temporary name, renamed on commit, removed
 * on abort) unless it names an existing device or FIFO, which is written in place.
 */
export async function openOutput(output: DumpOutput, options: OutputOptions = {}): Promise<OpenedOutput> {
  if (typeof output === 'string') {
    const info = await stat(output).catch(() => undefined);
    if (info && !info.isFile()) {
      if (info.isBlockDevice()) return fileOutput(await FileSink.create(output, { atomic: false }), output);
      if (info.isDirectory()) throw new VmcoreError(VmcoreErrorCode.Io, `cannot create ${output}: it is a directory`);
      const stream = createWriteStream(output);
      await new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', (error) => reject(ioError(`cannot open ${output}`, error)));
      });
      return streamOutput(stream, output, true);
    }
    try {
      return fileOutput(await FileSink.create(output, { mode: options.mode ?? 0o644, atomic: true }), output);
    } catch (error) {
      // Name the target, not the temporary file, with the C library's text (as QEMU reports it).
      const text = errnoText(error);
      if (text) throw new VmcoreError(VmcoreErrorCode.Io, `Could not open '${output}': ${text}`, { cause: error });
      throw error;
    }
  }
  if (isWritable(output)) return streamOutput(output, '<stream>', options.endStream ?? true);
  const info = await fstatAsync(output.fd).catch((error: unknown) => {
    throw ioError(`cannot use fd ${output.fd}`, error);
  });
  if (info.isFile() || info.isBlockDevice()) return fdFileOutput(output.fd);
  // Pipes and sockets may be non-blocking (a parent's pipe, a descriptor passed over QMP):
  // libuv's stream handle copes with EAGAIN where plain fs writes would fail.
  const stream =
    info.isFIFO() || info.isSocket()
      ? new Socket({ fd: output.fd, readable: false, writable: true })
      : createWriteStream('', { fd: output.fd, autoClose: false });
  return streamOutput(stream, output.fd === 1 ? 'stdout' : `fd ${output.fd}`, options.endStream ?? true);
}
