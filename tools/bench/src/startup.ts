// `bench startup`: `vmcore --version` against `node -e 0`, interleaved, medians of wall and CPU time.
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

/** Medians over `runs` interleaved runs of each command (interleaved: both see the same load). */
export async function measureStartup(runs: number): Promise<StartupRow[]> {
  const commands: Array<[string, string[]]> = [
    ['node -e 0', ['-e', '0']],
    ['vmcore --version', [VMCORE, '--version']],
    ['vmcore --help', [VMCORE, '--help']],
  ];
  const samples = commands.map(() => ({ wall: [] as number[], cpu: [] as number[], rss: [] as number[] }));
  for (let r = 0; r < runs; r++) {
    for (const [i, [, args]] of commands.entries()) {
      const m = await runMeasured(process.execPath, args);
      samples[i]!.wall.push(m.seconds * 1000);
      samples[i]!.cpu.push(m.cpuSeconds * 1000);
      samples[i]!.rss.push(m.maxRssMiB);
    }
  }
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
    `bench startup: ${new Date().toISOString()}, medians of ${options.runs} interleaved runs (target: vmcore --version within 50 ms of node -e 0)\n`,
  );
  console.log(startupTable(await measureStartup(options.runs)));
}
