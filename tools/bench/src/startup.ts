// `bench startup`: `vmcore --version` against `node -e 0`, interleaved, medians of wall and CPU time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './lib/measure.js';
import { median } from './lib/stats.js';
import { formatTable } from './lib/table.js';

export interface StartupRow {
  command: string;
  wallMs: number;
  cpuMs: number;
  rssMiB: number;
}

const VMCORE = fileURLToPath(new URL('../../../apps/cli/bin/vmcore.js', import.meta.url));

const SAMPLE = fileURLToPath(new URL('../../qemu-guest/sample/sample-guest.kdump', import.meta.url));

/**
 * Medians over `runs` interleaved runs of each command (interleaved: both see the same load).
 * `vmcore convert` of a one-page ELF measures what a conversion loads (the module graph), not its work.
 */
export async function measureStartup(runs: number): Promise<StartupRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'vmcore-bench-startup-'));
  const small = join(dir, 'page.elf');
  await runMeasured(process.execPath, [VMCORE, 'convert', SAMPLE, small, '--format', 'elf', '--begin', '0', '--length', '4096', '-q']);
  const out = join(dir, 'out.elf');
  const commands: Array<[string, string[]]> = [
    ['node -e 0', ['-e', '0']],
    ['vmcore --version', [VMCORE, '--version']],
    ['vmcore --help', [VMCORE, '--help']],
    ['vmcore convert (4 KiB ELF to ELF)', [VMCORE, 'convert', small, out, '--format', 'elf', '-q']],
  ];
  const samples = commands.map(() => ({ wall: [] as number[], cpu: [] as number[], rss: [] as number[] }));
  for (let r = 0; r < runs; r++) {
    for (const [i, [, args]] of commands.entries()) {
      rmSync(out, { force: true });
      const m = await runMeasured(process.execPath, args);
      samples[i]!.wall.push(m.seconds * 1000);
      samples[i]!.cpu.push(m.cpuSeconds * 1000);
      samples[i]!.rss.push(m.maxRssMiB);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return commands.map(([command], i) => ({
    command,
    wallMs: median(samples[i]!.wall),
    cpuMs: median(samples[i]!.cpu),
    rssMiB: median(samples[i]!.rss),
  }));
}

export function startupTable(rows: readonly StartupRow[]): string {
  const base = rows[0]!;
  return formatTable([
    ['command', 'wall ms', 'CPU ms', 'wall - node ms', 'CPU - node ms', 'peak RSS MiB'],
    ...rows.map((r) => [r.command, r.wallMs, r.cpuMs, r.wallMs - base.wallMs, r.cpuMs - base.cpuMs, r.rssMiB]),
  ]);
}

export async function runStartupBench(options: { runs: number }): Promise<void> {
  console.log(
    `bench startup: ${new Date().toISOString()}, medians of ${options.runs} interleaved runs (target: vmcore --version within 50 ms of node -e 0; --help and a conversion's module loading beside them)\n`,
  );
  console.log(startupTable(await measureStartup(options.runs)));
}
