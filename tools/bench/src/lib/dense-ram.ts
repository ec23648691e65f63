import { closeSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DenseRam {
  size: number;
  /** Bytes of pages that are not all zero. */
  nonZeroBytes: number;
}

const DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/bin', '/usr/lib'];

/** Regular files of at least 64 KiB under DIRS (one level), sorted: shared libraries and executables. */
function binaries(): string[] {
  const out: string[] = [];
  for (const dir of DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        const st = statSync(path);
        if (st.isFile() && st.size >= 64 * 1024) out.push(path);
      } catch {
        // vanished or unreadable: skip
      }
    }
  }
  return out;
}

/**
 * A dense RAM file: `size` bytes whose pages are whole pages of real binaries (machine code and
 * data, compressible about 2.5:1 with zlib) except every `zeroEvery`-th page, left zero (plus the
 * binaries' own zero pages): what a busy guest's memory holds. Written in 4 MiB chunks; the
 * binaries are reused from the start if they run out.
 */
export function createDenseRam(path: string, size: number, zeroEvery = 5, pageSize = 4096): DenseRam {
  const files = binaries();
  if (files.length === 0) throw new Error(`no binaries in ${DIRS.join(', ')}`);
  const chunk = new Uint8Array(4 << 20);
  const zero = new Uint8Array(pageSize);
  let file = 0;
  let bytes = readFileSync(files[0]!);
  let at = 0;
  let page = 0;
  let nonZeroBytes = 0;
  const fd = openSync(path, 'w');
  try {
    for (let offset = 0; offset < size; offset += chunk.length) {
      const n = Math.min(chunk.length, size - offset);
      for (let p = 0; p < n; p += pageSize, page++) {
        const slot = chunk.subarray(p, p + pageSize);
        if (page % zeroEvery === zeroEvery - 1) {
          slot.set(zero);
          continue;
        }
        while (at + pageSize > bytes.length) {
          file = (file + 1) % files.length;
          bytes = readFileSync(files[file]!);
          at = 0;
        }
        slot.set(bytes.subarray(at, at + pageSize));
        at += pageSize;
        if (!isZero(slot)) nonZeroBytes += pageSize;
      }
      writeSync(fd, chunk, 0, n, offset);
    }
  } finally {
    closeSync(fd);
  }
  return { size, nonZeroBytes };
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
