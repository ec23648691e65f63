import { readSync } from 'node:fs';
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
 * A RAM file whose holes are known without reading them: the FileSource itself (so that kernel
 * copies out of it still apply), given `dataRange` (withHoles) and synchronous small reads.
 * Without the addon, or on a file system that cannot tell, a plain FileSource: every zero byte is
 * read and checked.
 */
export async function openSparseAwareFile(path: string): Promise<RandomAccessSource> {
  const file = withHoles(await FileSource.open(path));
  if (!file.dataRange) return file;
  const size = file.size;
  const asyncRead = file.read.bind(file);
  const asyncReadInto = file.readInto.bind(file);
  const fill = (offset: number, target: Uint8Array): number => {
    let filled = 0;
    while (filled < target.length) {
      const n = readSync(file.fd, target, filled, target.length - filled, offset + filled);
      if (n === 0) break;
      filled += n;
    }
    return filled;
  };
  const reads: Pick<RandomAccessSource, 'read' | 'readInto'> = {
    read(offset, length) {
      if (length > SYNC_READ) return asyncRead(offset, length);
      const target = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const n = fill(offset, target);
      return Promise.resolve(n === target.length ? target : target.subarray(0, n));
    },
    readInto(offset, target) {
      if (target.length > SYNC_READ) return asyncReadInto(offset, target);
      return Promise.resolve(fill(offset, target.subarray(0, Math.max(0, Math.min(target.length, size - offset)))));
    },
  };
  return Object.assign(file, reads);
}

/**
 * The FileSource given `dataRange` from lseek SEEK_DATA / SEEK_HOLE on its descriptor (Node has
 * no lseek: @vmcore/compress-native's seekData / seekHole), so that readers asking for holes
 * (ChunkOptions.holes) skip them: sparse RAM files, and QEMU's own ELF files, which leave zero
 * pages as holes. Unchanged without the addon.
 */
export function withHoles(file: FileSource): FileSource & Pick<RandomAccessSource, 'dataRange'> {
  const native = nativeCodecs();
  if (!native || typeof native.seekData !== 'function' || typeof native.seekHole !== 'function') return file;
  const size = file.size;
  let usable = true;
  const holes: Pick<RandomAccessSource, 'dataRange'> = {
    dataRange(offset: number) {
      if (!usable || offset >= size) return undefined;
      const start = native.seekData(file.fd, offset);
      if (start === -ENXIO) return { start: size, end: size };
      const end = start < 0 ? start : native.seekHole(file.fd, start);
      if (start < 0 || end < 0) {
        // EINVAL and the like: this file system cannot tell; read everything.
        usable = false;
        return undefined;
      }
      return { start: Math.min(start, size), end: Math.min(end, size) };
    },
  };
  return Object.assign(file, holes);
}
