import { Buffer } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { VmcoreError, VmcoreErrorCode } from '../errors.js';
import type { RandomAccessSource } from '../io.js';
import { errnoText } from '../errno.js';

/** A file read with positioned reads; the one place the packages touch `fs` for input. */
export class FileSource implements RandomAccessSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly name: string,
    readonly size: number,
    /** Fewer bytes allocated than its size when opened: it may have holes (a sparse file). */
    readonly sparse: boolean,
  ) {}

  /** The open descriptor (kernel copies out of this file, @vmcore/bytes/node's FileSink.copyRange); valid until close(). */
  get fd(): number {
    return this.handle.fd;
  }

  static async open(path: string): Promise<FileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw new VmcoreError(VmcoreErrorCode.Io, `cannot open ${path}: ${errnoText(error) ?? (error as Error).message}`, { cause: error });
    }
    const stat = await handle.stat();
    if (!stat.isFile() && !stat.isBlockDevice()) {
      await handle.close();
      throw new VmcoreError(VmcoreErrorCode.NotSeekable, `${path} is not a regular file (use a file, not a pipe, here)`);
    }
    return new FileSource(handle, path, stat.size, stat.isFile() && stat.blocks * 512 < stat.size);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const wanted = Math.max(0, Math.min(length, this.size - offset));
    // Not zero-filled first (every byte is about to be read over); a short read returns only
    // the bytes read.
    const buffer = new Uint8Array(Buffer.allocUnsafeSlow(wanted).buffer, 0, wanted);
    const filled = await this.fill(offset, buffer);
    return filled === wanted ? buffer : buffer.subarray(0, filled);
  }

  async readInto(offset: number, target: Uint8Array): Promise<number> {
    const wanted = Math.max(0, Math.min(target.length, this.size - offset));
    return this.fill(offset, target.subarray(0, wanted));
  }

  private async fill(offset: number, buffer: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await this.handle.read(buffer, filled, buffer.length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
