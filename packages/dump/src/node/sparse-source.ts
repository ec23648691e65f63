import { closeSync, openSync, readSync } from 'node:fs';
import type { RandomAccessSource } from '@vmcore/bytes';
import { FileSource } from '@vmcore/bytes/node';
import { nativeCodecs } from '@vmcore/compress';

const ENXIO = 6;
/**
 * Reads up to this size are synchronous preads: a sparse guest's data comes in runs of a page or
 * a few between holes, and an asynchronous read costs ~60 us of thread-pool round trip per run
 * (16,384 of them in a 16 GiB guest with a page of data per MiB), the pread itself ~2 us.
 */
const SYNC_READ = 64 * 1024;

/**
 * A RAM file whose holes are known without reading them: FileSource for the bytes, and
 * `dataRange` from lseek SEEK_DATA / SEEK_HOLE (Node has no lseek: @vmcore/compress-native's
 * seekData / seekHole, on a descriptor of its own). Without the addon, or on a file system that
 * cannot tell, it is a plain FileSource and every zero byte is read and checked.
 */
export async function openSparseAwareFile(path: string): Promise<RandomAccessSource> {
  const file = await FileSource.open(path);
  const native = nativeCodecs();
  if (!native || typeof native.seekData !== 'function' || typeof native.seekHole !== 'function') return file;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return file;
  }
  let usable = true;
  const size = file.size;
  const fill = (offset: number, target: Uint8Array): number => {
    let filled = 0;
    while (filled < target.length) {
      const n = readSync(fd, target, filled, target.length - filled, offset + filled);
      if (n === 0) break;
      filled += n;
    }
    return filled;
  };
  return {
    name: file.name,
    size,
    read(offset, length) {
      if (length > SYNC_READ) return file.read(offset, length);
      const target = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const n = fill(offset, target);
      return Promise.resolve(n === target.length ? target : target.subarray(0, n));
    },
    readInto(offset, target) {
      if (target.length > SYNC_READ) return file.readInto(offset, target);
      return Promise.resolve(fill(offset, target.subarray(0, Math.max(0, Math.min(target.length, size - offset)))));
    },
    dataRange(offset: number) {
      if (!usable || offset >= size) return undefined;
      const start = native.seekData(fd, offset);
      if (start === -ENXIO) return { start: size, end: size };
      const end = start < 0 ? start : native.seekHole(fd, start);
      if (start < 0 || end < 0) {
        // EINVAL and the like: this file system cannot tell; read everything.
        usable = false;
        return undefined;
      }
      return { start: Math.min(start, size), end: Math.min(end, size) };
    },
    async close() {
      closeSync(fd);
      await file.close();
    },
  };
}
