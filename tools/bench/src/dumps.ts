// `bench dumps`: whole dumps of the real test guest by QEMU (QMP dump-guest-memory), by vmcore
// (a child process per job, for its peak RSS) and by makedumpfile, measured in the same run;
// then a big sparse guest converted by vmcore, for the memory bound.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootGuest, type QmpClient, type RunningGuest } from '@vmcore/qemu-guest';
import type { ChildJob, ChildResult } from './dump-child.js';
import { guestBytes } from './lib/vmcore-job.js';
import { summarizeCpuProfile } from './lib/cpuprofile.js';
import { runMeasured, type Measured } from './lib/measure.js';
import { qemuDump, qemuDumpFormats, writeRamMap } from './lib/qemu.js';
import { createSparseRam } from './lib/sparse-ram.js';
import { formatTable, mbPerSecond } from './lib/table.js';

export type GuestSource = 'ram' | 'elf';

export interface DumpBenchOptions {
  /** Guest RAM, MiB (default 512). */
  memMiB: number;
  /** MiB of the guest's tmpfs filled with text by its /init (default memMiB / 4). */
  fillMiB: number;
  /** Rounds; each figure is the median of them (default 3). */
  runs: number;
  /** Compression workers for vmcore's kdump jobs (default 0, 1, 2). */
  workers: number[];
  /** vmcore output formats (QEMU's names). */
  formats: string[];
  /** vmcore inputs: the RAM file + map.json (notes from QEMU's ELF), and/or QEMU's ELF. */
  sources: GuestSource[];
  /** Size of the sparse guest of part 2, GiB (0: skip). */
  sparseGiB: number;
  /**
   * Where the outputs (and the sparse RAM files) go; default the OS temp dir. A tmpfs such as
   * /dev/shm takes the shared disk's write-back out of the figures.
   */
  outDir?: string;
  /** Also profile vmcore's kdump-zlib job (node --cpu-prof) and print where the time goes. */
  cpuProf: boolean;
}

export const DEFAULT_FORMATS = ['elf', 'kdump-zlib', 'kdump-raw-zlib', 'kdump-lzo', 'kdump-snappy'];

interface Sample {
  seconds: number;
  /** vmcore only: from opening the input to the committed output, inside the child (no Node start-up). */
  inProcess?: number;
  /** Guest bytes dumped (reassembly: flattened input bytes). */
  total: number;
  size: number;
  maxRssMiB: number;
  /** User + system CPU seconds of the process, threads included (GNU time); QEMU: not measured here. */
  cpuSeconds?: number;
}

export interface DumpRow extends Sample {
  format: string;
  tool: 'QEMU' | 'vmcore' | 'makedumpfile' | 'cp';
  input: string;
  workers: string;
}

const CHILD = fileURLToPath(new URL('./dump-child.js', import.meta.url));
const MAKEDUMPFILE_CODEC: Record<string, string> = { zlib: '-c', lzo: '-l', snappy: '-p' };

function codecOf(format: string): string | undefined {
  return /^kdump-(?:raw-)?(zlib|lzo|snappy)$/.exec(format)?.[1];
}

async function runChild(job: ChildJob, nodeArgs: string[] = []): Promise<Sample & { inProcess: number }> {
  const total = job.op === 'reassemble' ? fileSize(job.input) : await guestBytes(job.source);
  const m: Measured = await runMeasured(process.execPath, [...nodeArgs, CHILD, JSON.stringify(job)], { timeoutMs: 900_000 });
  const r = JSON.parse(m.stdout.trim().split('\n').pop()!) as ChildResult;
  return { seconds: m.seconds, total, size: r.size, maxRssMiB: m.maxRssMiB, cpuSeconds: m.cpuSeconds, inProcess: r.seconds };
}

/** makedumpfile 1.7.2 prints "snappy\tdisabled" when built without it (Debian 12's is). */
function makedumpfileCodecs(): Set<string> {
  const out = new Set<string>(['zlib']);
  let version = '';
  try {
    version = execFileSync('makedumpfile', ['-v'], { encoding: 'utf8' });
  } catch {
    return new Set();
  }
  for (const codec of ['lzo', 'snappy']) if (new RegExp(`^${codec}\\s+enabled`, 'm').test(version)) out.add(codec);
  return out;
}

/**
 * Before each timed job: write back what earlier jobs left dirty in the page cache, so a job
 * does not pay for the previous one's 500 MB (the disk is shared; that was the largest noise).
 */
function settle(): void {
  execFileSync('sync');
}

function fileSize(path: string): number {
  return statSync(path).size;
}

/** Keeps every sample of each row across rounds; a row's figure is its median-time sample. */
class Best {
  readonly #samples: DumpRow[][] = [];
  add(row: DumpRow): void {
    const same = this.#samples.find(
      ([r]) => r!.format === row.format && r!.tool === row.tool && r!.input === row.input && r!.workers === row.workers,
    );
    if (same) same.push(row);
    else this.#samples.push([row]);
  }
  get rows(): DumpRow[] {
    return this.#samples.map((samples) => [...samples].sort((a, b) => a.seconds - b.seconds)[(samples.length - 1) >> 1]!);
  }
  find(format: string, tool: DumpRow['tool']): DumpRow | undefined {
    return this.rows.find((r) => r.format === format && r.tool === tool);
  }
}

interface RoundContext {
  dir: string;
  qmp: QmpClient;
  qemuFormats: string[];
  mdfCodecs: Set<string>;
  mapFile: string;
  qemuElf: string;
  qemuFlat: string;
  oursElf: string;
  options: DumpBenchOptions;
  best: Best;
  log: (line: string) => void;
}

async function qemuRow(ctx: RoundContext, format: string, file: string): Promise<void> {
  rmSync(file, { force: true }); // QEMU creates its file mode 0400
  settle();
  const q = await qemuDump(ctx.qmp, format, file);
  ctx.best.add({
    format,
    tool: 'QEMU',
    input: 'live guest',
    workers: '-',
    seconds: q.seconds,
    total: q.total,
    size: fileSize(file),
    maxRssMiB: Number.NaN,
  });
  ctx.log(`  QEMU ${format}: ${q.seconds.toFixed(2)} s`);
}

async function vmcoreRow(ctx: RoundContext, format: string, source: GuestSource, workers: number, out: string): Promise<void> {
  const job: ChildJob = {
    op: 'dump',
    source: source === 'ram' ? { kind: 'ram', map: ctx.mapFile, notesFrom: ctx.qemuElf } : { kind: 'dump', path: ctx.qemuElf },
    format,
    workers,
    out,
  };
  settle();
  const s = await runChild(job);
  const input = source === 'ram' ? 'RAM file + map' : "QEMU's ELF";
  ctx.best.add({ format, tool: 'vmcore', input, workers: format === 'elf' ? '-' : String(workers), ...s });
  ctx.log(
    `  vmcore ${format} from ${source}, ${workers} workers: ${s.seconds.toFixed(2)} s (${s.inProcess.toFixed(2)} s in-process), ${s.maxRssMiB.toFixed(0)} MiB`,
  );
}

async function makedumpfileRow(ctx: RoundContext, codec: string, total: number): Promise<void> {
  const out = join(ctx.dir, `makedumpfile-${codec}.kdump`);
  rmSync(out, { force: true });
  settle();
  // -d 1 (zero pages excluded), as the speed targets are stated; it reads the same input.
  const m = await runMeasured('makedumpfile', [MAKEDUMPFILE_CODEC[codec]!, '-d', '1', ctx.oursElf, out], { timeoutMs: 900_000 });
  ctx.best.add({
    format: `kdump (${codec})`,
    tool: 'makedumpfile',
    input: 'our ELF',
    workers: '-',
    seconds: m.seconds,
    total,
    size: fileSize(out),
    maxRssMiB: m.maxRssMiB,
    cpuSeconds: m.cpuSeconds,
  });
  rmSync(out, { force: true });
  ctx.log(`  makedumpfile ${MAKEDUMPFILE_CODEC[codec]} -d 1: ${m.seconds.toFixed(2)} s`);
}

async function reassembleRows(ctx: RoundContext): Promise<void> {
  const out = join(ctx.dir, 'reassembled.kdump');
  const total = fileSize(ctx.qemuFlat);
  rmSync(out, { force: true });
  settle();
  const m = await runMeasured('makedumpfile', ['-R', out], { stdinFile: ctx.qemuFlat, timeoutMs: 900_000 });
  ctx.best.add({
    format: 'reassemble',
    tool: 'makedumpfile',
    input: "QEMU's kdump-zlib",
    workers: '-',
    seconds: m.seconds,
    total,
    size: fileSize(out),
    maxRssMiB: m.maxRssMiB,
  });
  rmSync(out, { force: true });
  settle();
  const s = await runChild({ op: 'reassemble', input: ctx.qemuFlat, out });
  ctx.best.add({ format: 'reassemble', tool: 'vmcore', input: "QEMU's kdump-zlib", workers: '-', ...s });
  rmSync(out, { force: true });
  ctx.log(`  reassemble: makedumpfile -R ${m.seconds.toFixed(2)} s, vmcore ${s.seconds.toFixed(2)} s`);
}

/** `cp` of the bytes an ELF job reads (the RAM file, QEMU's ELF): issue 14's peer for ELF output (at most 1.2x cp). */
async function cpRows(ctx: RoundContext): Promise<void> {
  const ram = (JSON.parse(readFileSync(ctx.mapFile, 'utf8')) as { blocks: { file: string }[] }).blocks[0]!.file;
  for (const [input, file] of [
    ['RAM file', ram],
    ["QEMU's ELF", ctx.qemuElf],
  ] as const) {
    const out = join(ctx.dir, 'cp.out');
    rmSync(out, { force: true });
    settle();
    const m = await runMeasured('cp', [file, out], { timeoutMs: 900_000 });
    ctx.best.add({
      format: 'elf',
      tool: 'cp',
      input,
      workers: '-',
      seconds: m.seconds,
      total: fileSize(file),
      size: fileSize(out),
      maxRssMiB: m.maxRssMiB,
    });
    rmSync(out, { force: true });
    ctx.log(`  cp ${input}: ${m.seconds.toFixed(2)} s`);
  }
}

async function round(ctx: RoundContext): Promise<void> {
  const { options, dir } = ctx;
  const maxWorkers = Math.max(...options.workers);
  const mdfDone = new Set<string>();
  for (const format of options.formats) {
    const qemuHas = ctx.qemuFormats.includes(format);
    if (format === 'elf') {
      await qemuRow(ctx, 'elf', ctx.qemuElf);
    } else if (format === 'kdump-zlib' && qemuHas) {
      await qemuRow(ctx, format, ctx.qemuFlat);
    } else if (qemuHas) {
      const file = join(dir, `qemu-${format}.out`);
      await qemuRow(ctx, format, file);
      rmSync(file, { force: true });
    }
    const codec = codecOf(format);
    const elfRow = ctx.best.find('elf', 'vmcore');
    if (codec && !mdfDone.has(codec) && ctx.mdfCodecs.has(codec) && existsSync(ctx.oursElf) && elfRow) {
      mdfDone.add(codec);
      await makedumpfileRow(ctx, codec, elfRow.total);
    }
    if (format === 'elf') await cpRows(ctx);
    for (const source of options.sources) {
      const workerList = format === 'elf' ? [0] : source === 'ram' ? options.workers : [maxWorkers];
      for (const workers of workerList) {
        const out = join(dir, `vmcore-${format}-${source}-${workers}.out`);
        // As QEMU's file is, the previous round's ELF is deleted first: a job whose output needs
        // memory the VM has not used yet pays for it (seen: 2 GiB to tmpfs, 1.5 s → 5 s).
        if (format === 'elf' && source === 'ram') rmSync(ctx.oursElf, { force: true });
        await vmcoreRow(ctx, format, source, workers, out);
        // Our ELF of the RAM file is makedumpfile's input (it cannot read QEMU 7.2's layout).
        if (format === 'elf' && source === 'ram') renameSync(out, ctx.oursElf);
        else rmSync(out, { force: true });
      }
    }
  }
  if (ctx.mdfCodecs.size > 0) await reassembleRows(ctx);
}

const MB = 1e6;

function ratio(peer: DumpRow | undefined, row: DumpRow): number {
  return peer && row.tool === 'vmcore' ? peer.seconds / row.seconds : Number.NaN;
}

export function dumpTable(rows: readonly DumpRow[]): string {
  const byTool = (format: string, tool: DumpRow['tool']) => rows.find((r) => r.format === format && r.tool === tool);
  return formatTable([
    [
      'format',
      'tool',
      'input',
      'workers',
      's',
      'in-proc s',
      'CPU s',
      'MB/s',
      'out MB',
      'peak RSS MiB',
      'QEMU s/ours',
      'mdf s/ours',
      'cp s/ours',
    ],
    ...rows
      .filter((r) => r.format !== 'reassemble')
      .map((r) => {
        const codec = codecOf(r.format);
        const qemu = r.format === 'elf' ? byTool('elf', 'QEMU') : codec === 'zlib' ? byTool('kdump-zlib', 'QEMU') : undefined;
        const mdf = codec ? byTool(`kdump (${codec})`, 'makedumpfile') : undefined;
        return [
          r.format,
          r.tool,
          r.input,
          r.workers,
          r.seconds,
          r.inProcess ?? Number.NaN,
          r.cpuSeconds ?? Number.NaN,
          mbPerSecond(r.total, r.seconds),
          r.size / MB,
          r.maxRssMiB,
          ratio(qemu, r),
          ratio(mdf, r),
          // The same bytes copied: the RAM file for the RAM job, QEMU's ELF for the ELF job.
          r.format === 'elf'
            ? ratio(
                rows.find((c) => c.tool === 'cp' && c.input === (r.input === "QEMU's ELF" ? "QEMU's ELF" : 'RAM file')),
                r,
              )
            : Number.NaN,
        ];
      }),
  ]);
}

export function reassembleTable(rows: readonly DumpRow[]): string {
  const re = rows.filter((r) => r.format === 'reassemble');
  const mdf = re.find((r) => r.tool === 'makedumpfile');
  return formatTable([
    ['reassemble', 'input', 's', 'in-proc s', 'MB/s (flattened in)', 'out MB', 'peak RSS MiB', 'mdf s/ours'],
    ...re.map((r) => [
      r.tool === 'vmcore' ? 'vmcore reassemble' : 'makedumpfile -R',
      r.input,
      r.seconds,
      r.inProcess ?? Number.NaN,
      mbPerSecond(r.total, r.seconds),
      r.size / MB,
      r.maxRssMiB,
      ratio(mdf, r),
    ]),
  ]);
}

/** node --cpu-prof of vmcore's ELF job and its kdump-zlib job (0 and most workers): self time per thread. */
async function profileDumps(ctx: RoundContext): Promise<void> {
  const maxWorkers = Math.max(...ctx.options.workers);
  const jobs = [{ format: 'elf', workers: 0 }, ...[...new Set([0, maxWorkers])].map((workers) => ({ format: 'kdump-zlib', workers }))];
  for (const [i, { format, workers }] of jobs.entries()) {
    const profDir = join(ctx.dir, `prof-${i}`);
    mkdirSync(profDir);
    const out = join(ctx.dir, 'prof.out');
    const job: ChildJob = { op: 'dump', source: { kind: 'ram', map: ctx.mapFile, notesFrom: ctx.qemuElf }, format, workers, out };
    const s = await runChild(job, ['--cpu-prof', '--cpu-prof-dir', profDir]);
    rmSync(out, { force: true });
    console.log(`\nnode --cpu-prof, vmcore ${format} from the RAM file, ${workers} workers (${s.seconds.toFixed(2)} s with the profiler):`);
    // One profile per thread: the main thread, then each worker's.
    const files = readdirSync(profDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort();
    for (const f of files) {
      const summary = summarizeCpuProfile(join(profDir, f));
      console.log(`\n${f}: ${(summary.totalMs / 1000).toFixed(2)} s sampled; self time by place, then by function:`);
      console.log(formatTable([['place', 'ms', '%'], ...summary.places.slice(0, 8).map((e) => [e.name, e.ms, e.percent])]));
      console.log(formatTable([['function', 'ms', '%'], ...summary.functions.map((e) => [e.name, e.ms, e.percent])]));
    }
  }
}

async function guestPart(options: DumpBenchOptions, dir: string): Promise<DumpRow[]> {
  const t0 = Date.now();
  let guest: RunningGuest | undefined;
  const onSignal = () => {
    guest?.kill();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    guest = await bootGuest({ memMiB: options.memMiB, fillMiB: options.fillMiB, lifetimeSec: 3600 });
    const qmp = await guest.qmp();
    await qmp.execute('stop');
    const v = qmp.greeting.QMP.version;
    const mapFile = join(dir, 'map.json');
    const ramBytes = await writeRamMap(guest, qmp, mapFile);
    const qemuFormats = await qemuDumpFormats(qmp);
    const mdfCodecs = makedumpfileCodecs();
    console.log(
      `guest: ${options.memMiB} MiB (${(ramBytes / MB).toFixed(0)} MB in the RAM file), ${options.fillMiB} MiB of tmpfs filled with text, ` +
        `booted in ${(guest.bootMs / 1000).toFixed(1)} s, stopped; QEMU ${v.qemu.major}.${v.qemu.minor}.${v.qemu.micro} offers: ${qemuFormats.join(', ')}`,
    );
    console.log(`makedumpfile codecs: ${[...mdfCodecs].join(', ')}${mdfCodecs.has('snappy') ? '' : ' (built without snappy: no -p row)'}`);
    const ctx: RoundContext = {
      dir,
      qmp,
      qemuFormats,
      mdfCodecs,
      mapFile,
      options,
      qemuElf: join(dir, 'qemu.elf'),
      qemuFlat: join(dir, 'qemu-kdump-zlib.flat'),
      oursElf: join(dir, 'ours.elf'),
      best: new Best(),
      log: (line) => console.log(line),
    };
    for (let r = 1; r <= options.runs; r++) {
      console.log(`round ${r}/${options.runs}:`);
      await round(ctx);
    }
    if (options.cpuProf) await profileDumps(ctx);
    console.log(`(guest part: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    return ctx.best.rows;
  } finally {
    await guest?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export interface SparseRow {
  guestBytes: number;
  dataBytes: number;
  seconds: number;
  inProcess: number;
  cpuSeconds: number;
  size: number;
  maxRssMiB: number;
}

/** A sparse RAM file of `gib` GiB with 64 MiB of data pages, to kdump-zlib (flattened) in a child process. */
export async function measureSparse(dir: string, gib: number, workers: number): Promise<SparseRow> {
  const ram = join(dir, `sparse-${gib}g.ram`);
  const out = join(dir, `sparse-${gib}g.kdump`);
  try {
    const { size, dataBytes } = createSparseRam(ram, gib * 2 ** 30, 64 * 2 ** 20);
    settle();
    const s = await runChild({ op: 'dump', source: { kind: 'ram', map: mapFor(dir, gib, ram) }, format: 'kdump-zlib', workers, out });
    return {
      guestBytes: size,
      dataBytes,
      seconds: s.seconds,
      inProcess: s.inProcess,
      cpuSeconds: s.cpuSeconds ?? Number.NaN,
      size: s.size,
      maxRssMiB: s.maxRssMiB,
    };
  } finally {
    rmSync(ram, { force: true });
    rmSync(out, { force: true });
  }
}

function mapFor(dir: string, gib: number, ram: string): string {
  const file = join(dir, `sparse-${gib}g.json`);
  // QEMU's pc split of the RAM file below/above 4 GiB (guest-mem expands the shorthand).
  writeFileSync(file, JSON.stringify({ machine: 'pc', ramSize: gib * 2 ** 30, file: ram }) + '\n');
  return file;
}

export function sparseTable(rows: readonly SparseRow[]): string {
  return formatTable([
    ['sparse guest', 'data MiB', 's', 'in-proc s', 'CPU s', 'MB/s', 'out MB', 'peak RSS MiB'],
    ...rows.map((r) => [
      `${r.guestBytes / 2 ** 30} GiB`,
      r.dataBytes / 2 ** 20,
      r.seconds,
      r.inProcess,
      r.cpuSeconds,
      mbPerSecond(r.guestBytes, r.seconds),
      r.size / MB,
      r.maxRssMiB,
    ]),
  ]);
}

export async function runDumpBench(options: DumpBenchOptions): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const baseline = await runMeasured(process.execPath, ['-e', '0']);
  console.log(
    `bench dumps: ${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} cores (${cpu}), medians of ${options.runs} rounds; ` +
      `node start-up ${baseline.seconds.toFixed(2)} s / ${baseline.maxRssMiB.toFixed(0)} MiB RSS (in every vmcore row)`,
  );
  const dir = mkdtempSync(join(options.outDir ?? tmpdir(), 'vmcore-bench-dumps-'));
  try {
    const rows = await guestPart(options, dir);
    console.log(
      `\nDumps of the ${options.memMiB} MiB guest. s: process wall time (QEMU: QMP command to DUMP_COMPLETED); MB/s: guest bytes / s;`,
    );
    console.log("peak RSS: the process (QEMU: - , it holds the guest); X s/ours: that peer's time / ours (> 1: vmcore is faster).");
    console.log(
      'Every job starts after `sync`; outputs go to ' +
        dir +
        '. makedumpfile reads our ELF of the RAM file: on QEMU 7.2\'s ELF (phdrs after the section headers) it fails with "Can\'t get the number of PT_LOAD".\n',
    );
    console.log(dumpTable(rows));
    if (rows.some((r) => r.format === 'reassemble')) console.log('\n' + reassembleTable(rows));
    if (options.sparseGiB > 0) {
      const workers = Math.max(...options.workers);
      console.log(
        `\nSparse guests (RAM file = holes + 64 MiB of /usr/bin pages), vmcore kdump-zlib with ${workers} workers, one child process each:\n`,
      );
      const sparse: SparseRow[] = [];
      for (const gib of [...new Set([1, options.sparseGiB])]) sparse.push(await measureSparse(dir, gib, workers));
      console.log(sparseTable(sparse));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
