import { mkdtempSync, openSync, readFileSync, readSync, closeSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pythonPath, verifyScript, kernelLogMarkerScript } from './paths.js';
import { run } from './process.js';

export interface PageVerification {
  /** Pages compared (every page of every RAM-file block). */
  pages: number;
  mismatches: number;
  unreadable: number;
  firstMismatches: string[];
  firstUnreadable: Array<{ paddr: string; error: string }>;
  /** libkdumpfile attributes the script set by hand (addrxlat.ostype, arch.name). */
  attributes: Record<string, string>;
}

function isJsonFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(64);
    const n = readSync(fd, b, 0, 64, 0);
    return b.subarray(0, n).toString('latin1').trimStart().startsWith('{');
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads every page of every RAM-file block through libkdumpfile (Debian's python3-libkdumpfile,
 * run by /usr/bin/python3) and compares it with the RAM file.
 * Arguments as in docs/DESIGN.md: (dump, ramFile, mapFile); the map may be map.json or
 * physmap.json, and the two may be given in either order (the JSON one is recognised).
 */
export async function verifyPagesWithLibkdumpfile(
  dumpPath: string,
  ramFile: string,
  mapFile: string,
  options: { arch?: string; ostype?: string; timeoutMs?: number; pageByPage?: boolean } = {},
): Promise<PageVerification> {
  let ram = ramFile;
  let map = mapFile;
  if (isJsonFile(ram) && !isJsonFile(map)) [ram, map] = [map, ram];
  if (!isJsonFile(map)) throw new Error(`verifyPagesWithLibkdumpfile: neither ${ramFile} nor ${mapFile} is a JSON block map`);
  const args = [verifyScript, dumpPath, map, ram];
  if (options.arch) args.push('--arch', options.arch);
  if (options.ostype !== undefined) args.push('--ostype', options.ostype);
  // Reads page by page only (see verify_pages.py: libkdumpfile can crash after a failed multi-page read).
  if (options.pageByPage) args.push('--page-by-page');
  const r = await run(pythonPath, args, { timeoutMs: options.timeoutMs ?? 900_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let parsed: (PageVerification & { error?: string }) | undefined;
  try {
    parsed = JSON.parse(last) as PageVerification & { error?: string };
  } catch {
    parsed = undefined;
  }
  if (r.code !== 0 || !parsed || parsed.error) {
    throw new Error(
      `verify_pages.py ${dumpPath}: exit ${r.code ?? r.signal}: ${parsed?.error ?? ''} ${r.stderr.trim().slice(0, 2000)}`.trim(),
    );
  }
  return parsed;
}

/** The text of `makedumpfile --dump-dmesg DUMP OUT`; rejects with makedumpfile's stderr. */
export async function makedumpfileDmesg(dumpPath: string, options: { timeoutMs?: number } = {}): Promise<string> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vmcore-dmesg-'));
  try {
    const out = path.join(tmp, 'dmesg.txt');
    const r = await run('makedumpfile', ['--dump-dmesg', dumpPath, out], { timeoutMs: options.timeoutMs ?? 300_000 });
    if (r.code !== 0) {
      throw new Error(`makedumpfile --dump-dmesg ${dumpPath}: exit ${r.code ?? r.signal}: ${(r.stderr + r.stdout).trim().slice(0, 4000)}`);
    }
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface KernelLogSearch {
  found?: boolean;
  ringBytes?: number;
  arch?: string;
  attributes?: Record<string, string>;
  /** What libkdumpfile raised, when it could not follow the ring buffer. */
  error?: string;
  /** The address space the ring was read in: KVADDR (libkdumpfile's translation) or KPHYSADDR. */
  addressSpace?: 'KVADDR' | 'KPHYSADDR';
}

/**
 * Looks for `text` in the kernel's printk text ring of a dump, read by libkdumpfile alone through
 * kernel virtual addresses (its own page-table translation): `py/kernel_log_marker.py`.
 */
export async function findInKernelLogWithLibkdumpfile(
  dumpPath: string,
  text: string,
  options: {
    timeoutMs?: number;
    /**
     * Read kernel-physical addresses (KDUMP_KPHYSADDR) at virtual − this offset instead of letting
     * libkdumpfile translate: for i386, whose linear map libkdumpfile 0.5 does not set up (docs/DESIGN.md).
     */
    linearOffset?: bigint;
  } = {},
): Promise<KernelLogSearch> {
  const linear = options.linearOffset === undefined ? [] : ['--linear-offset', options.linearOffset.toString(16)];
  const r = await run(pythonPath, [kernelLogMarkerScript, dumpPath, text, ...linear], { timeoutMs: options.timeoutMs ?? 300_000 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as KernelLogSearch;
  } catch {
    throw new Error(`kernel_log_marker.py ${dumpPath}: exit ${r.code ?? r.signal}: ${r.stderr.trim().slice(0, 2000)}`);
  }
}
