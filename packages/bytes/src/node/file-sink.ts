import { unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { getSystemErrorName } from 'node:util';
import { errnoText } from '../errno.js';
import { VmcoreError, VmcoreErrorCode } from '../errors.js';
import type { PositionedSink, RandomAccessSource, SequentialSink } from '../io.js';
import { copyFileRange } from './file-copy.js';
import { FileSource } from './file-source.js';

export interface FileSinkOptions {
  /** File mode for the new file (QEMU creates dumps 0400). Default 0o644. */
  mode?: number;
  /**
   * Write to a temporary name beside the target and rename on `commit()`, so a failed dump
   * never leaves a file that looks complete. Default true.
   */
  atomic?: boolean;
}

/** Temporary files of atomic sinks not yet committed or aborted, in this process. */
const partialFiles = new Set<string>();

/** Positioned and sequential writes to a file, with an atomic commit. */
export class FileSink implements PositionedSink, SequentialSink {
  /** write() resolves once the kernel has every byte (positioned writes, awaited). */
  readonly doneWithBytesOnResolve = true;
  private position = 0;
  private finished = false;
  /** The end of every byte written or copied (a copy that skipped holes at the end leaves the file shorter). */
  private end = 0;
  /** Input holes were left unwritten: commit() extends the file to `end`. */
  private skippedHoles = false;
  /** Whether this is a regular file this sink truncated (so unwritten ranges read as zeros). */
  private fresh: Promise<boolean> | undefined;

  /**
   * Removes every temporary file this process still has open, synchronously: for a process that
   * must exit now (a second SIGINT, a watchdog) without leaving `.NAME.PID.partial` files.
   */
  static removePartialFilesSync(): void {
    for (const path of partialFiles) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
    partialFiles.clear();
  }

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
    private readonly writePath: string,
  ) {}

  static async create(path: string, options: FileSinkOptions = {}): Promise<FileSink> {
    const atomic = options.atomic ?? true;
    const writePath = atomic ? join(dirname(path), `.${basename(path)}.${process.pid}.partial`) : path;
    try {
      const handle = await open(writePath, 'w', options.mode ?? 0o644);
      if (atomic) partialFiles.add(writePath);
      return new FileSink(handle, path, writePath);
    } catch (error) {
      throw ioError(`cannot create ${path}`, error);
    }
  }

  async write(offsetOrBytes: number | Uint8Array, maybeBytes?: Uint8Array): Promise<void> {
    const [offset, bytes] = typeof offsetOrBytes === 'number' ? [offsetOrBytes, maybeBytes!] : [this.position, offsetOrBytes];
    let done = 0;
    try {
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, offset + done);
        done += bytesWritten;
      }
    } catch (error) {
      throw ioError(`cannot write ${this.path}`, error);
    }
    this.position = Math.max(this.position, offset + bytes.length);
    this.end = Math.max(this.end, offset + bytes.length);
  }

  /**
   * Copies `length` bytes of `source` from `sourceOffset` to `offset` of this file in the kernel
   * (copy_file_range, @vmcore/compress-native): for a FileSource on the same file system, with
   * the addon present. Holes of the input stay holes when this sink created the file. Resolves
   * false when no kernel copy is possible (nothing counted as written): read and write() the range instead.
   */
  async copyRange(source: RandomAccessSource, sourceOffset: number, length: number, offset: number): Promise<boolean> {
    if (!(source instanceof FileSource) || sourceOffset + length > source.size) return false;
    this.fresh ??= this.handle.stat().then(
      // 'w' truncated a regular file: what is never written reads as zeros.
      (info) => info.isFile(),
      () => false,
    );
    // Holes are looked for (SEEK_DATA, not free on a large dense file) only in a sparse input.
    const skipHoles = (await this.fresh) && source.sparse;
    const result = await copyFileRange(source.fd, sourceOffset, this.handle.fd, offset, length, skipHoles);
    if (!result.copied) {
      if (result.errno === undefined) return false;
      const code = getSystemErrorName(-result.errno);
      throw ioError(`cannot write ${this.path}`, Object.assign(new Error(`copy_file_range: ${code}`), { code }));
    }
    if (skipHoles) this.skippedHoles = true;
    this.position = Math.max(this.position, offset + length);
    this.end = Math.max(this.end, offset + length);
    return true;
  }

  /** Sequential form of copyRange: appends at the current position. */
  async copyFrom(source: RandomAccessSource, offset: number, length: number): Promise<boolean> {
    return this.copyRange(source, offset, length, this.position);
  }

  /** Flushes, closes and moves the file to its final name. */
  async commit(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      if (this.skippedHoles && (await this.handle.stat()).size < this.end) await this.handle.truncate(this.end);
      await this.handle.sync().catch(() => undefined);
      await this.handle.close();
      if (this.writePath !== this.path) {
        await rename(this.writePath, this.path);
        partialFiles.delete(this.writePath);
      }
    } catch (error) {
      // Nothing under the final name, and no temporary file left behind either.
      if (this.writePath !== this.path) {
        await unlink(this.writePath).catch(() => undefined);
        partialFiles.delete(this.writePath);
      }
      throw ioError(`cannot finish ${this.path}`, error);
    }
  }

  /** Closes and removes the partial file. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.handle.close().catch(() => undefined);
    if (this.writePath !== this.path) {
      await unlink(this.writePath).catch(() => undefined);
      partialFiles.delete(this.writePath);
    }
  }

  async close(): Promise<void> {
    await this.commit();
  }
}

/** A VMCORE_IO error: `context` (naming the user's path) and the C library's text for the errno. */
export function ioError(context: string, error: unknown): VmcoreError {
  const reason = errnoText(error) ?? (error instanceof Error ? error.message : String(error));
  return new VmcoreError(VmcoreErrorCode.Io, `${context}: ${reason}`, { cause: error });
}
