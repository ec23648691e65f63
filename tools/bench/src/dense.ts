// `bench dense`: a dense guest (a RAM file of real binaries' pages, 80% non-zero) dumped by QEMU
// 7.2 (the RAM file is its memory backend; the machine is never started), by vmcore (with and
// without @vmcore/compress-native) and by makedumpfile, and the ELF paths against `cp` of the
// same bytes; every job in every round, medians, ratios from the same round.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QmpClient } from '@vmcore/qemu-guest';
import type { ChildJob, ChildResult } from './dump-child.js';
import { createDenseRam } from './lib/dense-ram.js';
import { runMeasured } from './lib/measure.js';
import { qemuDump } from './lib/qemu.js';
import { median } from './lib/stats.js';
import { formatTable } from './lib/table.js';

export interface DenseBenchOptions {
  memMiB: number;
  /** An existing RAM file (e.g. the reference guest's ram.bin) instead of a generated dense one; its size sets the memory. */
  ramFile?: string;
  /** CPU notes (and VMCOREINFO) for our dumps from this ELF instead of QEMU's dump of the RAM file. */
  notesFrom?: string;
  runs: number;
  workers: number;
  outDir?: string;
}

interface Sample {
  seconds: number;
  cpuSeconds: number;
  size: number;
  maxRssMiB: number;
}

const CHILD = fileURLToPath(new URL('./dump-child.js', import.meta.url));
const MB = 1e6;

function settle(): void {
  execFileSync('sync');
}

async function vmcore(job: ChildJob, env?: Record<string, string>): Promise<Sample> {
  settle();
  const m = await runMeasured(process.execPath, [CHILD, JSON.stringify(job)], { timeoutMs: 900_000, ...(env ? { env } : {}) });
  const r = JSON.parse(m.stdout.trim().split('\n').pop()!) as ChildResult;
  return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, size: r.size, maxRssMiB: m.maxRssMiB };
}

async function tool(command: string, args: string[], out: string): Promise<Sample> {
  rmSync(out, { force: true });
  settle();
  const m = await runMeasured(command, args, { timeoutMs: 900_000 });
  const size = existsSync(out) ? statSync(out).size : Number.NaN;
  rmSync(out, { force: true });
  return { seconds: m.seconds, cpuSeconds: m.cpuSeconds, size, maxRssMiB: m.maxRssMiB };
}

const ZERO_PAGE = Buffer.alloc(4096);

/** Bytes of the file's 4 KiB pages that are not all zero. */
function countNonZero(path: string): number {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(4 << 20);
  let total = 0;
  try {
    for (let at = 0; ; at += buffer.length) {
      const n = readSync(fd, buffer, 0, buffer.length, at);
      if (n === 0) break;
      for (let p = 0; p < n; p += 4096) {
        const page = buffer.subarray(p, Math.min(n, p + 4096));
        if (page.compare(ZERO_PAGE, 0, page.length) !== 0) total += page.length;
      }
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

/** utime + stime of a process so far, from /proc/<pid>/stat (clock ticks of 1/100 s); NaN if unreadable. */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function startQemu(dir: string, ram: string, memMiB: number): Promise<{ qemu: ChildProcess; qmp: QmpClient }> {
  const sock = join(dir, 'qmp.sock');
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-machine',
      'pc,memory-backend=ram',
      '-accel',
      'tcg',
      '-m',
      `${memMiB}M`,
      '-object',
      `memory-backend-file,id=ram,size=${memMiB}M,mem-path=${ram},share=off`,
      '-S',
      '-nodefaults',
      '-display',
      'none',
      '-qmp',
      `unix:${sock},server=on,wait=off`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; i < 300 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
  return { qemu, qmp: await QmpClient.connect(sock) };
}

type Job =
  | 'qemu-elf'
  | 'qemu-kdump'
  | 'ram-elf'
  | 'cp-ram'
  | 'elf-elf'
  | 'cp-elf'
  | 'ram-kdump'
  | 'ram-kdump-nonative'
  | 'ram-kdump-nowasm'
  | 'elf-kdump'
  | 'mdf-c'
  | 'ram-lzo'
  | 'mdf-l';

const LABELS: Record<Job, [string, string, string]> = {
  'qemu-elf': ['elf', 'QEMU 7.2', 'guest (mapped RAM file)'],
  'ram-elf': ['elf', 'vmcore', 'RAM file'],
  'cp-ram': ['elf (same bytes)', 'cp', 'RAM file'],
  'elf-elf': ['elf', 'vmcore', 'our ELF'],
  'cp-elf': ['elf (same bytes)', 'cp', 'our ELF'],
  'qemu-kdump': ['kdump-zlib', 'QEMU 7.2', 'guest (mapped RAM file)'],
  'ram-kdump': ['kdump-zlib', 'vmcore', 'RAM file'],
  'ram-kdump-nonative': ['kdump-zlib', 'vmcore (no addon: wasm)', 'RAM file'],
  'ram-kdump-nowasm': ['kdump-zlib', 'vmcore (node:zlib)', 'RAM file'],
  'elf-kdump': ['kdump-zlib', 'vmcore', 'our ELF'],
  'mdf-c': ['kdump zlib', 'makedumpfile -c -d 1', 'our ELF'],
  'ram-lzo': ['kdump-lzo', 'vmcore', 'RAM file'],
  'mdf-l': ['kdump lzo', 'makedumpfile -l -d 1', 'our ELF'],
};

/** Which peer each of our rows is compared with: [QEMU job, makedumpfile job, cp job]. */
const PEERS: Partial<Record<Job, [Job | undefined, Job | undefined, Job | undefined]>> = {
  'ram-elf': ['qemu-elf', undefined, 'cp-ram'],
  'elf-elf': [undefined, undefined, 'cp-elf'],
  'ram-kdump': ['qemu-kdump', 'mdf-c', undefined],
  'ram-kdump-nonative': ['qemu-kdump', 'mdf-c', undefined],
  'ram-kdump-nowasm': ['qemu-kdump', 'mdf-c', undefined],
  'elf-kdump': ['qemu-kdump', 'mdf-c', undefined],
  'ram-lzo': [undefined, 'mdf-l', undefined],
};

export async function runDenseBench(options: DenseBenchOptions): Promise<void> {
  const dir = mkdtempSync(join(options.outDir ?? tmpdir(), 'vmcore-bench-dense-'));
  const ram = options.ramFile ?? join(dir, 'dense.ram');
  const size = options.ramFile ? statSync(options.ramFile).size : options.memMiB * 2 ** 20;
  const dense = options.ramFile ? { size, nonZeroBytes: countNonZero(options.ramFile) } : createDenseRam(ram, size);
  const memMiB = size / 2 ** 20;
  const map = join(dir, 'map.json');
  writeFileSync(map, JSON.stringify({ machine: 'pc', ramSize: size, file: ram }) + '\n');
  console.log(
    `bench dense: ${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ` +
      `load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )}; ${memMiB} MiB RAM file${options.ramFile ? ` ${options.ramFile}` : ''}, ${((100 * dense.nonZeroBytes) / size).toFixed(0)}% non-zero pages ` +
      `${options.ramFile ? '' : '(binaries from /usr/lib, /usr/bin)'}, vmcore workers ${options.workers}, ${options.runs} rounds, outputs in ${dir}`,
  );
  const { qemu, qmp } = await startQemu(dir, ram, memMiB);
  const samples = new Map<Job, Sample[]>();
  const add = (job: Job, s: Sample) => {
    samples.set(job, [...(samples.get(job) ?? []), s]);
    console.log(
      `  ${job}: ${s.seconds.toFixed(2)} s, ${s.cpuSeconds.toFixed(2)} CPU s, ${(s.size / MB).toFixed(1)} MB, ${s.maxRssMiB.toFixed(0)} MiB`,
    );
  };
  const ourElf = join(dir, 'ours.elf');
  // CPU notes for our dumps (makedumpfile needs a PT_NOTE): borrowed from QEMU's ELF, as `vmcore dump --notes-from`.
  const qemuElf = options.notesFrom ?? join(dir, 'qemu.elf');
  if (!options.notesFrom) await qemuDump(qmp, 'elf', qemuElf);
  const source = { kind: 'ram' as const, map, notesFrom: qemuElf };
  const out = join(dir, 'out');
  const w = options.workers;
  try {
    for (let r = 1; r <= options.runs; r++) {
      console.log(`round ${r}/${options.runs} (load ${loadavg()[0]!.toFixed(1)}):`);
      for (const [job, format] of [
        ['qemu-elf', 'elf'],
        ['qemu-kdump', 'kdump-zlib'],
      ] as const) {
        rmSync(out, { force: true });
        settle();
        const cpu0 = processCpuSeconds(qemu.pid);
        const q = await qemuDump(qmp, format, out);
        add(job, { seconds: q.seconds, cpuSeconds: processCpuSeconds(qemu.pid) - cpu0, size: statSync(out).size, maxRssMiB: Number.NaN });
        rmSync(out, { force: true });
      }
      rmSync(ourElf, { force: true });
      add('ram-elf', await vmcore({ op: 'dump', source, format: 'elf', workers: w, out: ourElf }));
      add('cp-ram', await tool('cp', [ram, out], out));
      add('elf-elf', await vmcore({ op: 'dump', source: { kind: 'dump', path: ourElf }, format: 'elf', workers: w, out }));
      rmSync(out, { force: true });
      add('cp-elf', await tool('cp', [ourElf, out], out));
      for (const [job, env] of [
        ['ram-kdump', undefined],
        // One row per zlib tier: the addon, libdeflate in WebAssembly, node:zlib.
        ['ram-kdump-nonative', { VMCORE_NO_NATIVE: '1' }],
        ['ram-kdump-nowasm', { VMCORE_NO_NATIVE: '1', VMCORE_NO_WASM: '1' }],
      ] as const) {
        add(job, await vmcore({ op: 'dump', source, format: 'kdump-raw-zlib', workers: w, out }, env));
        rmSync(out, { force: true });
      }
      add('elf-kdump', await vmcore({ op: 'dump', source: { kind: 'dump', path: ourElf }, format: 'kdump-raw-zlib', workers: w, out }));
      rmSync(out, { force: true });
      add('mdf-c', await tool('makedumpfile', ['-c', '-d', '1', ourElf, out], out));
      add('ram-lzo', await vmcore({ op: 'dump', source, format: 'kdump-raw-lzo', workers: w, out }));
      rmSync(out, { force: true });
      add('mdf-l', await tool('makedumpfile', ['-l', '-d', '1', ourElf, out], out));
    }
  } finally {
    qmp.close();
    qemu.kill('SIGKILL');
  }
  console.log(
    `\n${options.ramFile ? 'Given' : 'Dense'} ${memMiB} MiB guest, medians of ${options.runs} rounds. s: wall (QEMU: QMP command to DUMP_COMPLETED); CPU s: user+sys of the`,
  );
  console.log(
    "process; X s/ours: median over rounds of that peer's seconds / ours in the same round (> 1: vmcore is faster); out vs QEMU: size ratio.\n",
  );
  const ratio = (peer: Job | undefined, job: Job, key: 'seconds' | 'cpuSeconds' = 'seconds') => {
    if (!peer) return Number.NaN;
    const a = samples.get(peer) ?? [];
    const b = samples.get(job) ?? [];
    return median(b.map((s, i) => (a[i] ? a[i]![key] / s[key] : Number.NaN)));
  };
  const qemuKdump = median((samples.get('qemu-kdump') ?? []).map((s) => s.size));
  const rows = (Object.keys(LABELS) as Job[])
    .filter((j) => samples.has(j))
    .map((job) => {
      const s = samples.get(job)!;
      const [q, m, c] = PEERS[job] ?? [undefined, undefined, undefined];
      const sizeMb = median(s.map((x) => x.size));
      const isZlib = LABELS[job][0].includes('zlib');
      return [
        ...LABELS[job],
        median(s.map((x) => x.seconds)),
        median(s.map((x) => x.cpuSeconds)),
        size / MB / median(s.map((x) => x.seconds)),
        sizeMb / MB,
        isZlib ? sizeMb / qemuKdump : Number.NaN,
        median(s.map((x) => x.maxRssMiB)),
        ratio(q, job),
        ratio(m, job),
        ratio(c, job),
        ratio(q, job, 'cpuSeconds'),
        ratio(m, job, 'cpuSeconds'),
        ratio(c, job, 'cpuSeconds'),
      ];
    });
  console.log(
    formatTable([
      [
        'format',
        'tool',
        'input',
        's',
        'CPU s',
        'MB/s',
        'out MB',
        'out vs QEMU',
        'peak RSS MiB',
        'QEMU s/ours',
        'mdf s/ours',
        'cp s/ours',
        'QEMU cpu/ours',
        'mdf cpu/ours',
        'cp cpu/ours',
      ],
      ...rows,
    ]),
  );
  console.log(
    "\n(X cpu/ours: the same ratios in CPU seconds (QEMU: its process's utime+stime during the dump), steadier than wall time on a loaded machine;",
  );
  console.log('our CPU includes every thread, so with 2 workers it is higher than our share of the wall time.)');
  rmSync(dir, { recursive: true, force: true });
}
