import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { binaryPages } from './pages.js';

export interface SparseRam {
  size: number;
  dataBytes: number;
}

/**
 * A sparse RAM file of `size` bytes (a hole, read back as zeros) with `dataBytes` of pages from
 * /usr/bin binaries spread evenly over it, one page at a time: a big, mostly idle guest.
 */
export function createSparseRam(path: string, size: number, dataBytes: number, pageSize = 4096): SparseRam {
  const pages = binaryPages(dataBytes, pageSize);
  const count = pages.length / pageSize;
  const stride = Math.floor(size / pageSize / Math.max(1, count)) * pageSize;
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    for (let i = 0; i < count; i++) writeSync(fd, pages, i * pageSize, pageSize, i * stride);
  } finally {
    closeSync(fd);
  }
  return { size, dataBytes: pages.length };
}
