import { unlinkSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoText } from '../errno.js';
import { VmcoreError, VmcoreErrorCode } from '../errors.js';
import type { PositionedSink, SequentialSink } from '../io.js';

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
  }

  /** Flushes, closes and moves the file to its final name. */
  async commit(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
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
