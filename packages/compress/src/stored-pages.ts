import type { decompressPage } from './page.js';
import { STORED_CODECS, STORED_RAW, type DecodeRequest } from './pool-protocol.js';

/** The first page of a decode job that failed, and why. */
export interface StoredPageFailure {
  readonly page: number;
  readonly error: unknown;
}

/**
 * Decodes a decode job's pages (pool-protocol's entries: raw, zlib, lzo, snappy) into `out`, in
 * order, with `decompress` (the package's decompressPage); stops at the first page that lies
 * outside the stored bytes or does not decode to exactly pageSize bytes. What the decoder pool's
 * workers run, and PageDecoderThreads on the calling thread when the addon refuses a job.
 */
export function decodeStoredPages(
  request: Pick<DecodeRequest, 'stored' | 'entries' | 'count' | 'pageSize'>,
  out: Uint8Array,
  decompress: typeof decompressPage,
): StoredPageFailure | undefined {
  const stored = new Uint8Array(request.stored);
  const entries = new Uint32Array(request.entries);
  const { count, pageSize } = request;
  for (let page = 0; page < count; page++) {
    try {
      const start = entries[3 * page]!;
      const size = entries[3 * page + 1]!;
      const code = entries[3 * page + 2]!;
      if (start + size > stored.length) throw new Error(`stored bytes ${start}+${size} beyond the job`);
      const bytes = stored.subarray(start, start + size);
      if (code === STORED_RAW) {
        if (size !== pageSize) throw new Error(`raw page of ${size} bytes, expected ${pageSize}`);
        out.set(bytes, page * pageSize);
        continue;
      }
      const codec = STORED_CODECS[code - 1];
      if (!codec) throw new Error(`unknown storage code ${code}`);
      const decoded = decompress(codec, bytes, pageSize);
      if (decoded.length !== pageSize) throw new Error(`decompressed to ${decoded.length} bytes, expected ${pageSize}`);
      out.set(decoded, page * pageSize);
    } catch (error) {
      return { page, error };
    }
  }
  return undefined;
}
