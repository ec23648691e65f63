/**
 * Issue 16's shared verdict table: each dump-guest-memory request goes through the vmcore CLI and
 * through the vmcore-qmp server, both serving the same guest file. Both must accept (and write
 * the same bytes) or both must refuse with the same @vmcore/dump refusal reason, each app saying
 * it in its own words from its one table.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliRefusalMessage, run, type Io } from '@vmcore/cli';
import { DumpRefusal, type DumpRefusalDetail } from '@vmcore/dump';
import { dumpGuest, openGuest } from '@vmcore/dump/node';
import { memoryGuest, syntheticGuest } from '@vmcore/test-support';
import { guestBackend, QmpMonitor, QmpSession, qmpRefusal, type QmpTransport } from '@vmcore/qmp';

interface Case {
  readonly name: string;
  readonly guest?: 'x86_64' | 'aarch64';
  readonly format?: string;
  readonly paging?: boolean;
  readonly begin?: number;
  readonly length?: number;
  /** The output cannot seek (a FIFO): a path for the CLI, a descriptor passed with getfd for QMP. */
  readonly pipe?: boolean;
  readonly expect: 'accept' | DumpRefusalDetail;
}

// The synthetic guest: RAM at 0-640 KiB and 1 MiB-3 MiB.
const END = 3 << 20;
const CASES: Case[] = [
  { name: 'elf, whole guest', expect: 'accept' },
  { name: 'elf with paging', paging: true, expect: 'accept' },
  { name: 'kdump-zlib, whole guest', format: 'kdump-zlib', expect: 'accept' },
  { name: 'flattened kdump to a pipe', format: 'kdump-snappy', pipe: true, expect: 'accept' },
  { name: 'a range inside one block', begin: 1 << 20, length: 8192, expect: 'accept' },
  { name: 'a range across the hole', begin: 0x9f000, length: 0x62000, expect: 'accept' },
  { name: 'begin + length past the end (clamped)', begin: END - 4096, length: 1 << 20, expect: 'accept' },
  { name: 'a negative length whose sum is negative (to the end)', begin: 0, length: -1, expect: 'accept' },
  { name: 'length 0', begin: 0, length: 0, expect: { reason: 'length-zero' } },
  { name: 'a negative begin', begin: -4096, length: 8192, expect: { reason: 'begin-outside', begin: -4096n, length: 8192n } },
  {
    name: 'a negative length below every block',
    begin: 1 << 20,
    length: -5,
    expect: { reason: 'no-memory', begin: 1n << 20n, length: -5n },
  },
  { name: 'begin in the hole', begin: 0xa0000, length: 4096, expect: { reason: 'no-memory', begin: 0xa0000n, length: 4096n } },
  { name: 'begin past the end', begin: END, length: 4096, expect: { reason: 'no-memory', begin: BigInt(END), length: 4096n } },
  { name: 'begin without length', begin: 0, expect: { reason: 'missing-length' } },
  { name: 'length without begin', length: 4096, expect: { reason: 'missing-begin' } },
  {
    name: 'paging with kdump',
    format: 'kdump-zlib',
    paging: true,
    expect: { reason: 'filter-not-supported', format: 'kdump-zlib', paging: true },
  },
  {
    name: 'a filter with kdump',
    format: 'kdump-raw-lzo',
    begin: 0,
    length: 4096,
    expect: { reason: 'filter-not-supported', format: 'kdump-raw-lzo', paging: false },
  },
  { name: 'raw kdump to a pipe', format: 'kdump-raw-zlib', pipe: true, expect: { reason: 'not-seekable', format: 'kdump-raw-zlib' } },
  { name: 'an unknown format', format: 'kdump-zstd', expect: { reason: 'unknown-format', format: 'kdump-zstd' } },
  {
    name: 'win-dmp without a Windows header',
    format: 'win-dmp',
    expect: { reason: 'win-dmp-header', problem: 'size', message: 'win-dump: invalid vmcoreinfo note size' },
  },
  {
    name: 'win-dmp for an aarch64 guest (unavailable)',
    guest: 'aarch64',
    format: 'win-dmp',
    expect: { reason: 'win-dmp-arch', arch: 'aarch64', qemuTarget: 'aarch64' },
  },
];

let dir: string;
const guestFiles: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmcore-verdicts-'));
  guestFiles.x86_64 = join(dir, 'x86_64.elf');
  await dumpGuest(syntheticGuest({ ramMiB: 2 }), 'elf', guestFiles.x86_64);
  guestFiles.aarch64 = join(dir, 'aarch64.elf');
  const arm = memoryGuest({
    info: { elfClass: 64, endian: 'le', machine: 183, arch: 'aarch64', pageSize: 4096 },
    blocks: [{ start: 0x4000_0000, bytes: new Uint8Array(1 << 20).fill(7) }],
  });
  await dumpGuest(arm, 'elf', guestFiles.aarch64);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything written to a FIFO until its last writer closes it. */
function drain(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cat = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    cat.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    cat.on('error', reject);
    cat.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  return path;
}

async function viaCli(c: Case, out: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = new PassThrough();
  err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const io = {
    stdout: new PassThrough(),
    stderr: Object.assign(err, { isTTY: false }),
    signal: new AbortController().signal,
  } as unknown as Io;
  const args = ['convert', guestFiles[c.guest ?? 'x86_64']!, out, '--format', c.format ?? 'elf', '--quiet'];
  if (c.paging) args.push('--paging');
  if (c.begin !== undefined) args.push(`--begin=${c.begin}`);
  if (c.length !== undefined) args.push(`--length=${c.length}`);
  const code = await run(args, io);
  return { code, stderr };
}

class Transport implements QmpTransport {
  readonly lines: string[] = [];
  readonly fds: number[] = [];
  readonly passesFds = true;
  write(text: string): void {
    this.lines.push(text.trimEnd());
  }
  end(): void {}
  takeReceivedFd(): number | undefined {
    return this.fds.shift();
  }
}

async function viaQmp(c: Case, out: string): Promise<Record<string, unknown>> {
  const guest = await openGuest(guestFiles[c.guest ?? 'x86_64']!);
  const monitor = new QmpMonitor({ backend: guestBackend(guest, { workers: 0 }), paused: true });
  const transport = new Transport();
  const session = new QmpSession(monitor, transport);
  monitor.addSession(session);
  const send = async (message: object) => {
    session.receive(new TextEncoder().encode(JSON.stringify(message)));
    await session.idle();
    return JSON.parse(transport.lines[transport.lines.length - 1]!) as Record<string, unknown>;
  };
  try {
    await send({ execute: 'qmp_capabilities' });
    let protocol = `file:${out}`;
    if (c.pipe) {
      transport.fds.push(openSync(out, 'r+')); // O_RDWR: opening a FIFO this way does not wait for a reader
      await send({ execute: 'getfd', arguments: { fdname: 'out' } });
      protocol = 'fd:out';
    }
    const args = {
      paging: c.paging ?? false,
      protocol,
      ...(c.format !== undefined ? { format: c.format } : {}),
      ...(c.begin !== undefined ? { begin: c.begin } : {}),
      ...(c.length !== undefined ? { length: c.length } : {}),
    };
    return await send({ execute: 'dump-guest-memory', arguments: args });
  } finally {
    await guest.close();
  }
}

describe('the CLI and the QMP server give the same verdict', () => {
  it('their tables word each refusal reason differently from every other reason', () => {
    const refusals = CASES.flatMap((c) => (c.expect === 'accept' ? [] : [new DumpRefusal(c.expect)]));
    const reasons = new Set(refusals.map((r) => r.reason));
    expect(reasons.size).toBeGreaterThanOrEqual(10);
    for (const table of [cliRefusalMessage, (r: DumpRefusal) => qmpRefusal(r).desc]) {
      const byText = new Map<string, string>();
      for (const r of refusals) {
        const text = table(r);
        expect(byText.get(text) ?? r.reason).toBe(r.reason);
        byText.set(text, r.reason);
      }
    }
  });

  it.each(CASES.map((c, index) => [c.name, c, index] as const))('%s', { timeout: 60_000 }, async (_name, c, index) => {
    const cliOut = c.pipe ? fifo(`cli-${index}`) : join(dir, `cli-${index}.out`);
    const qmpOut = c.pipe ? fifo(`qmp-${index}`) : join(dir, `qmp-${index}.out`);
    // Someone must read the pipes: a `cat` per pipe, collecting what each app wrote.
    const readers = c.expect === 'accept' && c.pipe ? [cliOut, qmpOut].map(drain) : [];
    const cli = await viaCli(c, cliOut);
    const qmp = await viaQmp(c, qmpOut);
    if (c.expect === 'accept') {
      expect(cli).toEqual({ code: 0, stderr: '' });
      expect(qmp).toEqual({ return: {} });
      if (c.pipe) {
        const [fromCli, fromQmp] = await Promise.all(readers);
        expect(fromCli!.length).toBeGreaterThan(0);
        expect(fromQmp!.equals(fromCli!)).toBe(true);
      } else {
        expect(readFileSync(qmpOut).equals(readFileSync(cliOut))).toBe(true);
      }
    } else {
      const refusal = new DumpRefusal(c.expect);
      expect(cli).toEqual({ code: 1, stderr: `vmcore: ${cliRefusalMessage(refusal)}\n` });
      expect(qmp).toEqual({ error: { class: 'GenericError', desc: qmpRefusal(refusal).desc } });
    }
  });
});
