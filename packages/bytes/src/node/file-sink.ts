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

/** Positioned and sequential writes to a file, with an atomic commit. */
export class FileSink implements PositionedSink, SequentialSink {
  private position = 0;
  private finished = false;

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
      return new FileSink(handle, path, writePath);
    } catch (error) {
      throw ioError(`cannot create ${path}`, error);
    }
  }

  async write(offsetOrBytes: number | Uint8Array, maybeBytes?: Uint8Array): Promise<void> {
    const [offset, bytes] =
      typeof offsetOrBytes === 'number' ? [offsetOrBytes, maybeBytes!] : [this.position, offsetOrBytes];
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
      if (this.writePath !== this.path) await rename(this.writePath, this.path);
    } catch (error) {
      throw ioError(`cannot finish ${this.path}`, error);
    }
  }

  /** Closes and removes the partial file. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.handle.close().catch(() => undefined);
    if (this.writePath !== this.path) await unlink(this.writePath).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.commit();
  }
}

export function ioError(context: string, error: unknown): VmcoreError {
  const err = error as NodeJS.ErrnoException;
  // QEMU's words for the errors a dump meets (strerror), else Node's message.
  const reason = (err?.code === 'ENOSPC' || err?.code === 'EPIPE' ? errnoText(err.code) : undefined) ?? err?.message ?? String(error);
  return new VmcoreError(VmcoreErrorCode.Io, `${context}: ${reason}`, { cause: error });
}
