// `bench dump-level`: filtered kdump files of the cached reference guest (tools/qemu-guest
// referenceGuest()), vmcore --dump-level N next to makedumpfile -d N in the same run, same input
// (our standard-layout ELF of the guest: makedumpfile cannot read QEMU 7.2's), same codec (lzo).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { referenceGuest } from '@vmcore/qemu-guest';
import type { ChildJob, ChildResult } from './dump-child.js';
import { runMeasured } from './lib/measure.js';
import { formatTable } from './lib/table.js';

const CHILD = fileURLToPath(new URL('./dump-child.js', import.meta.url));

export interface DumpLevelBenchOptions {
  runs: number;
  level: number;
  workers: number;
}

interface Row {
  tool: string;
  seconds: number;
  sizeMB: number;
  rssMiB: number;
}

export async function runDumpLevelBench(options: DumpLevelBenchOptions): Promise<void> {
  const ref = await referenceGuest();
  const dir = mkdtempSync(join(tmpdir(), 'vmcore-bench-level-'));
  try {
    const elf = join(dir, 'guest.elf');
    const prepare: ChildJob = { op: 'dump', source: { kind: 'dump', path: ref.qemuElf }, format: 'elf', workers: 0, out: elf };
    await runMeasured(process.execPath, [CHILD, JSON.stringify(prepare)], { timeoutMs: 900_000 });
    console.log(`dump level ${options.level}, ${ref.memMiB} MiB guest (${ref.variant}), input ${elf}, best of ${options.runs}\n`);
    const best = new Map<string, Row>();
    const keep = (row: Row) => {
      const old = best.get(row.tool);
      if (!old || row.seconds < old.seconds) best.set(row.tool, row);
    };
    for (let round = 0; round < options.runs; round++) {
      execFileSync('sync');
      const theirs = join(dir, 'makedumpfile.kdump');
      rmSync(theirs, { force: true });
      const m = await runMeasured('makedumpfile', ['-l', '-d', String(options.level), elf, theirs], { timeoutMs: 900_000 });
      keep({ tool: `makedumpfile -l -d ${options.level}`, seconds: m.seconds, sizeMB: statSync(theirs).size / 1e6, rssMiB: m.maxRssMiB });
      execFileSync('sync');
      const ours = join(dir, 'vmcore.kdump');
      const job: ChildJob = {
        op: 'dump',
        source: { kind: 'dump', path: elf },
        format: 'kdump-raw-lzo',
        workers: options.workers,
        out: ours,
        dumpLevel: options.level,
      };
      const v = await runMeasured(process.execPath, [CHILD, JSON.stringify(job)], { timeoutMs: 900_000 });
      const r = JSON.parse(v.stdout.trim().split('\n').pop()!) as ChildResult;
      keep({
        tool: `vmcore kdump-raw-lzo --dump-level ${options.level} (${options.workers} workers)`,
        seconds: v.seconds,
        sizeMB: r.size / 1e6,
        rssMiB: v.maxRssMiB,
      });
      console.log(`  round ${round + 1}: makedumpfile ${m.seconds.toFixed(2)} s, vmcore ${v.seconds.toFixed(2)} s`);
    }
    const rows = [...best.values()];
    const mdf = rows[0]!;
    console.log(
      '\n' +
        formatTable([
          ['tool', 's', 'out MB', 'peak RSS MiB', 'mdf s/ours'],
          ...rows.map((r) => [r.tool, r.seconds, r.sizeMB, r.rssMiB, r === mdf ? Number.NaN : mdf.seconds / r.seconds]),
        ]) +
        '\n',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
