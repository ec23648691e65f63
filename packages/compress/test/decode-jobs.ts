import { DecodeJob, compressPage } from '../dist/index.js';
import { PAGE, mixedBatch } from './helpers.js';

/** A job of `n` pages stored in turn raw, zlib, lzo and snappy (compressed ones only when smaller), and the pages. */
export function job(n: number, offset = 0) {
  const pages = mixedBatch(n, offset);
  const j = new DecodeJob(PAGE, 1); // grows as pages are added
  const zero = new Uint8Array(PAGE);
  for (let i = 0; i < n; i++) {
    const page = pages.subarray(i * PAGE, (i + 1) * PAGE);
    if (page.every((b) => b === 0)) {
      j.addShared(zero, 'raw');
      continue;
    }
    const codec = (['raw', 'zlib', 'lzo', 'snappy'] as const)[i % 4]!;
    if (codec === 'raw') {
      j.add(page, 'raw');
      continue;
    }
    const stored = compressPage(codec, page);
    j.add(stored.bytes, stored.stored === 'compressed' ? codec : 'raw');
  }
  return { job: j, pages };
}
