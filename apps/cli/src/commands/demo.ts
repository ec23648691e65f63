import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isVmcoreError } from '@vmcore/bytes';
import { DUMP_FORMATS, verifyGuest, type DumpFormat } from '@vmcore/dump';
import { dumpGuest, openGuest } from '@vmcore/dump/node';
import type { GuestMemory } from '@vmcore/guest-mem';
import { str, type Io } from '../context.js';
import { ProgressBar } from '../progress.js';
import { UsageError, parse } from '../usage.js';

/**
 * Where tools/qemu-guest commits the sample guest (relative to this file in dist/commands): QEMU's
 * kdump-zlib reassembled, or its ELF when that is smaller.
 */
export const SAMPLE_GUESTS = ['sample-guest.kdump', 'sample-guest.elf'].map((name) =>
  fileURLToPath(new URL(`../../../../tools/qemu-guest/sample/${name}`, import.meta.url)),
);

/**
 * The sample Windows guest tools/win-guest commits: QEMU 7.2's ELF of a synthetic Windows guest
 * (gzipped) and the digest of QEMU's own win-dmp of it.
 */
export const WINDOWS_SAMPLE = fileURLToPath(new URL('../../../../tools/win-guest/sample/win-sample.elf.gz', import.meta.url));
const WINDOWS_SAMPLE_INFO = WINDOWS_SAMPLE.replace(/\.elf\.gz$/, '.json');

interface Row {
  format: DumpFormat;
  size?: number;
  seconds?: number;
  pages?: number;
  verified?: boolean;
  note?: string;
  /** Guest bytes the row's dump read, when not the demo guest's (win-dmp uses the Windows sample). */
  guestBytes?: number;
}

function explain(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * win-dmp needs a Windows guest: the sample one, dumped and compared with QEMU 7.2's win-dmp of
 * the same guest (byte for byte, by SHA-256), then read back run by run.
 */
async function demoWinDmp(row: Row, dir: string, signal: AbortSignal): Promise<void> {
  if (!existsSync(WINDOWS_SAMPLE)) {
    row.note = `no sample Windows guest at ${WINDOWS_SAMPLE}`;
    return;
  }
  const expected = JSON.parse(await readFile(WINDOWS_SAMPLE_INFO, 'utf8')) as {
    qemuWinDmp: { size: number; sha256: string };
    qemuVersion: string;
  };
  const elf = join(dir, 'win-sample.elf');
  await writeFile(elf, gunzipSync(await readFile(WINDOWS_SAMPLE)));
  const file = join(dir, 'guest.win-dmp');
  const windows = await openGuest(elf);
  const started = process.hrtime.bigint();
  try {
    await dumpGuest(windows, 'win-dmp', file, { signal });
  } finally {
    await windows.close();
  }
  row.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  row.size = (await stat(file)).size;
  row.guestBytes = row.size;
  const back = await openGuest(file);
  try {
    row.pages = back.blocks.reduce((n, b) => n + b.size / 4096, 0);
  } finally {
    await back.close();
  }
  row.verified = row.size === expected.qemuWinDmp.size && (await sha256(file)) === expected.qemuWinDmp.sha256;
  row.note = row.verified
    ? `sample Windows guest: identical to QEMU ${expected.qemuVersion}'s win-dmp`
    : `sample Windows guest: differs from QEMU ${expected.qemuVersion}'s win-dmp`;
}

export async function demo(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('demo', args, {
    guest: { type: 'string' },
    keep: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`, 'demo');
  const quiet = values['quiet'] === true;
  const keep = str(values, 'keep');
  const guestPath = str(values, 'guest');
  const out = (line: string) => io.stdout.write(`${line}\n`);

  let guest: GuestMemory;
  let label: string;
  const path = guestPath ?? SAMPLE_GUESTS.find((file) => existsSync(file));
  if (path) {
    guest = await openGuest(path);
    label = path;
  } else {
    // The made-up guest lives in the private @vmcore/test-support: there in a source checkout (as
    // the sample guest is), absent from an installed CLI, which then needs --guest.
    const support = await import('@vmcore/test-support').catch(() => undefined);
    if (!support) throw new UsageError(`no sample guest at ${SAMPLE_GUESTS[0]}: give one with --guest FILE`, 'demo');
    guest = support.syntheticGuest();
    label = `synthetic 16 MiB x86_64 guest (no sample guest at ${SAMPLE_GUESTS[0]} yet)`;
  }
  const dir = keep ?? (await mkdtemp(join(tmpdir(), 'vmcore-demo-')));
  if (keep) await mkdir(dir, { recursive: true });
  const ramBytes = guest.blocks.reduce((s, b) => s + b.size, 0);
  out(`source: ${label}`);
  out(
    `        ${guest.blocks.length} block(s), ${(ramBytes / (1 << 20)).toFixed(1)} MiB, ${guest.nrCpus} CPU(s), page size ${guest.info.pageSize}`,
  );
  out(`output: ${dir}${keep ? '' : ' (removed afterwards)'}`);
  out('');

  const rows: Row[] = [];
  try {
    for (const format of DUMP_FORMATS) {
      if (io.signal.aborted) break;
      const file = join(dir, `guest.${format}`);
      const row: Row = { format };
      rows.push(row);
      if (format === 'win-dmp') {
        try {
          await demoWinDmp(row, dir, io.signal);
        } catch (error) {
          row.verified = false;
          row.note = `win-dmp of the sample Windows guest failed: ${explain(error)}`;
        }
        continue;
      }
      const bar = new ProgressBar(format.padEnd(16), io.stderr, !quiet && Boolean(io.stderr.isTTY));
      const started = process.hrtime.bigint();
      try {
        await dumpGuest(guest, format, file, { onProgress: bar.update, signal: io.signal });
      } catch (error) {
        bar.done();
        if (isVmcoreError(error) && error.code === 'VMCORE_UNSUPPORTED') {
          row.note = explain(error);
          continue;
        }
        row.verified = false;
        row.note = `dump failed: ${(error as Error).message}`;
        continue;
      }
      bar.done();
      row.seconds = Number(process.hrtime.bigint() - started) / 1e9;
      row.size = (await stat(file)).size;
      try {
        const back = await openGuest(file);
        try {
          const result = await verifyGuest(guest, back);
          row.pages = result.pages;
          row.verified = result.mismatchedPages === 0 && result.notesMatch;
          if (result.mismatchedPages)
            row.note = `${result.mismatchedPages} page(s) differ, first at 0x${result.firstMismatch!.toString(16)}`;
          else if (!result.notesMatch) row.note = 'notes differ';
        } finally {
          await back.close();
        }
      } catch (error) {
        row.verified = false;
        row.note = `read back failed: ${(error as Error).message}`;
      }
    }
  } finally {
    await guest.close();
    if (!keep) await rm(dir, { recursive: true, force: true });
  }

  const table = [['format', 'size', 'time', 'MB/s', 'pages', 'verified', '']];
  for (const r of rows) {
    const done = r.seconds !== undefined;
    table.push([
      r.format,
      r.size !== undefined ? `${(r.size / (1 << 20)).toFixed(1)} MiB` : '-',
      done ? `${r.seconds!.toFixed(2)} s` : '-',
      done ? ((r.guestBytes ?? ramBytes) / r.seconds! / 1e6).toFixed(0) : '-',
      r.pages !== undefined ? String(r.pages) : '-',
      r.verified === undefined ? '-' : r.verified ? '✓' : '✗',
      r.note ?? '',
    ]);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
  for (const line of table)
    out(
      line
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  const failed = rows.filter((r) => r.verified === false).length;
  const verified = rows.filter((r) => r.verified === true).length;
  out('');
  out(`${verified} format(s) verified, ${failed} failed, ${rows.length - verified - failed} not available`);
  if (failed > 0) return 1;
  if (verified === 0) {
    io.stderr.write('vmcore: no format could be written and verified\n');
    return 1;
  }
  return 0;
}
