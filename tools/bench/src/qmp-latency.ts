// `bench qmp-latency`: how long vmcore-qmp's monitor takes to answer `query-status` while a
// detached dump-guest-memory runs (issue 14: within 50 ms at p99, from any source). One server
// process per guest source (the reference guest's RAM file + map, QEMU's ELF, its flattened and
// its raw kdump-zlib); for each format a detached dump to a file, and query-status every ~10 ms
// until DUMP_COMPLETED. QEMU 7.2's own monitor on the same RAM (machine never started, -S) is the
// peer for the formats it has.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QmpClient, referenceGuest } from '@vmcore/qemu-guest';
import type { ChildSource } from './dump-child.js';
import type { QmpServerJob } from './qmp-server-child.js';
import { formatTable } from './lib/table.js';

export interface QmpLatencyOptions {
  formats: string[];
  sources: string[];
  /** Milliseconds between the start of one query-status and the next (default 10). */
  intervalMs: number;
  workers: number;
  outDir?: string;
  /** Also QEMU's monitor during its own detached dumps of the same RAM. */
  qemu: boolean;
}

export const QMP_LATENCY_FORMATS = ['elf', 'kdump-zlib', 'kdump-raw-zlib', 'kdump-lzo', 'kdump-snappy'];
export const QMP_LATENCY_SOURCES = ['ram', 'elf', 'kdump-flat', 'kdump-raw'];
const TARGET_P99_MS = 50;

const SERVER = fileURLToPath(new URL('./qmp-server-child.js', import.meta.url));

export interface LatencyRow {
  server: string;
  source: string;
  format: string;
  dumpSeconds: number;
  queries: number;
  p50: number;
  p99: number;
  max: number;
  /** The server's event-loop delay during the dump (its main thread's stalls), ms; NaN for QEMU. */
  loopP99: number;
  loopMax: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a detached dump and times query-status round trips until DUMP_COMPLETED. */
export async function measureDuringDump(
  qmp: QmpClient,
  format: string,
  file: string,
  intervalMs: number,
): Promise<Omit<LatencyRow, 'server' | 'source' | 'loopP99' | 'loopMax'>> {
  rmSync(file, { force: true });
  const mark = qmp.eventMark();
  const t0 = performance.now();
  await qmp.execute('dump-guest-memory', { paging: false, format, protocol: `file:${file}`, detach: true }, 60_000);
  let completed: { data?: Record<string, unknown> } | undefined;
  void qmp.waitForEvent('DUMP_COMPLETED', { since: mark, timeoutMs: 900_000 }).then((ev) => (completed = ev));
  const rtts: number[] = [];
  while (!completed) {
    const sent = performance.now();
    await qmp.execute('query-status', undefined, 60_000);
    rtts.push(performance.now() - sent);
    const wait = intervalMs - (performance.now() - sent);
    if (wait > 0) await sleep(wait);
  }
  const dumpSeconds = (performance.now() - t0) / 1000;
  const result = (completed.data?.result ?? {}) as { status?: string };
  if (result.status !== 'completed') throw new Error(`dump-guest-memory ${format}: ${JSON.stringify(completed.data)}`);
  rmSync(file, { force: true });
  const sorted = [...rtts].sort((a, b) => a - b);
  return {
    format,
    dumpSeconds,
    queries: rtts.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

interface ServerChild {
  child: ChildProcess;
  /** The event-loop delay since the previous call (SIGUSR2 to the server). */
  loopDelay(): Promise<{ loopP99: number; loopMax: number }>;
}

async function startServer(job: QmpServerJob): Promise<ServerChild> {
  const child = spawn(process.execPath, [SERVER, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let waiter: (() => void) | undefined;
  let exited: Error | undefined;
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    waiter?.();
  });
  child.once('exit', (code) => {
    exited = new Error(`qmp server child exited with ${code}`);
    waiter?.();
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.shift();
        if (line !== undefined || exited) waiter = undefined;
        if (line !== undefined) resolve(line);
        else if (exited) reject(exited);
      };
      waiter = check;
      check();
    });
  if ((await nextLine()) !== 'ready') throw new Error('qmp server child did not say ready');
  return {
    child,
    async loopDelay() {
      child.kill('SIGUSR2');
      return JSON.parse(await nextLine()) as { loopP99: number; loopMax: number };
    },
  };
}

async function startQemu(dir: string, ram: string, memMiB: number): Promise<{ qemu: ChildProcess; qmp: QmpClient }> {
  const sock = join(dir, 'qemu-qmp.sock');
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      ...['-machine', 'pc,memory-backend=ram', '-accel', 'tcg', '-m', `${memMiB}M`],
      ...['-object', `memory-backend-file,id=ram,size=${memMiB}M,mem-path=${ram},share=off`],
      ...['-S', '-nodefaults', '-display', 'none', '-qmp', `unix:${sock},server=on,wait=off`],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; i < 300 && !existsSync(sock); i++) await sleep(100);
  return { qemu, qmp: await QmpClient.connect(sock) };
}

export function latencyTable(rows: readonly LatencyRow[]): string {
  const peer = (r: LatencyRow) => rows.find((q) => q.server === 'QEMU 7.2' && q.format === r.format);
  return formatTable([
    [
      'server',
      'source',
      'format',
      'dump s',
      'queries',
      'p50 ms',
      'p99 ms',
      'max ms',
      'p99 ≤ 50 ms',
      'QEMU p99 ms',
      'p99 / QEMU p99',
      'loop p99 ms',
      'loop max ms',
    ],
    ...rows.map((r) => {
      const q = r.server === 'QEMU 7.2' ? undefined : peer(r);
      return [
        r.server,
        r.source,
        r.format,
        r.dumpSeconds,
        String(r.queries),
        r.p50,
        r.p99,
        r.max,
        r.p99 <= TARGET_P99_MS ? 'yes' : 'NO',
        q?.p99 ?? Number.NaN,
        q ? r.p99 / q.p99 : Number.NaN,
        r.loopP99,
        r.loopMax,
      ];
    }),
  ]);
}

export async function runQmpLatencyBench(options: QmpLatencyOptions): Promise<void> {
  const ref = await referenceGuest();
  const dir = mkdtempSync(join(options.outDir ?? tmpdir(), 'vmcore-bench-qmp-'));
  console.log(
    `bench qmp-latency: ${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} cores, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; reference guest ${ref.variant} (${ref.memMiB} MiB), query-status every ${options.intervalMs} ms during ` +
      `each detached dump, ${options.workers} workers, outputs in ${dir}`,
  );
  const sources: Record<string, ChildSource> = {
    ram: { kind: 'ram', map: ref.mapFile, notesFrom: ref.qemuElf },
    elf: { kind: 'dump', path: ref.qemuElf },
    'kdump-flat': { kind: 'dump', path: ref.qemuKdumpZlib },
    'kdump-raw': { kind: 'dump', path: ref.qemuKdumpZlibRaw },
  };
  const labels: Record<string, string> = {
    ram: 'RAM file + map',
    elf: "QEMU's ELF",
    'kdump-flat': "QEMU's flattened kdump-zlib",
    'kdump-raw': "QEMU's kdump-zlib, reassembled",
  };
  const rows: LatencyRow[] = [];
  const out = join(dir, 'out');
  try {
    if (options.qemu) {
      const { qemu, qmp } = await startQemu(dir, ref.ramFile, ref.memMiB);
      try {
        for (const format of options.formats.filter((f) => f === 'elf' || f === 'kdump-zlib')) {
          const r = await measureDuringDump(qmp, format, out, options.intervalMs);
          rows.push({ server: 'QEMU 7.2', source: 'guest (mapped RAM file)', ...r, loopP99: Number.NaN, loopMax: Number.NaN });
          console.log(`  QEMU ${format}: p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms over ${r.queries} queries`);
        }
      } finally {
        qmp.close();
        qemu.kill('SIGKILL');
      }
    }
    for (const source of options.sources) {
      const socket = join(dir, `qmp-${source}.sock`);
      const server = await startServer({ source: sources[source]!, socket, workers: options.workers });
      const qmp = await QmpClient.connect(socket);
      try {
        for (const format of options.formats) {
          await server.loopDelay();
          const r = await measureDuringDump(qmp, format, out, options.intervalMs);
          const loop = await server.loopDelay();
          rows.push({ server: 'vmcore-qmp', source: labels[source]!, ...r, ...loop });
          console.log(
            `  vmcore-qmp ${source} ${format}: p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms over ${r.queries} queries; ` +
              `server event-loop delay p99 ${loop.loopP99.toFixed(1)} ms, max ${loop.loopMax.toFixed(1)} ms`,
          );
        }
      } finally {
        qmp.close();
        server.child.kill('SIGTERM');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nquery-status round trips during detached dumps (target: p99 ≤ ${TARGET_P99_MS} ms, issue 14):\n`);
  console.log(latencyTable(rows));
  console.log(
    "\nloop p99/max: the server's event-loop delay during the dump (perf_hooks, 2 ms resolution): its main thread's own stalls;\n" +
      'a round trip above it waited for the CPU (the client is a Node process too) or for the socket.',
  );
}
