import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `totalBytes` of real data as whole pages: executables from /usr/bin (largest-named-first
 * order is irrelevant; sorted by name for a stable set), concatenated page by page.
 */
export function binaryPages(totalBytes: number, pageSize = 4096): Uint8Array {
  const wanted = Math.floor(totalBytes / pageSize) * pageSize;
  const out = new Uint8Array(wanted);
  let at = 0;
  for (const name of readdirSync('/usr/bin').sort()) {
    if (at >= wanted) break;
    const path = join('/usr/bin', name);
    let size: number;
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      size = st.size;
    } catch {
      continue;
    }
    if (size < 64 * 1024) continue;
    const bytes = readFileSync(path);
    const whole = Math.floor(bytes.length / pageSize) * pageSize;
    const take = Math.min(whole, wanted - at);
    out.set(bytes.subarray(0, take), at);
    at += take;
  }
  if (at < wanted) throw new Error(`only ${at} bytes of /usr/bin binaries, wanted ${wanted}`);
  return out;
}

export function writePagesFile(path: string, pages: Uint8Array): string {
  writeFileSync(path, pages);
  return path;
}
