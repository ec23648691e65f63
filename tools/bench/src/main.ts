// `pnpm --filter @vmcore/bench bench <name> [options]`. Each benchmark lives in its own module
// (codecs.ts, dumps.ts) and is loaded on demand.
import { parseArgs } from 'node:util';

type Values = Record<string, string | boolean | undefined>;
const num = (v: string | boolean | undefined, fallback: number) => (typeof v === 'string' ? Number(v) : fallback);
const list = (v: string | boolean | undefined, fallback: string[]) => (typeof v === 'string' ? v.split(',').filter(Boolean) : fallback);

const benches: Record<string, (values: Values) => Promise<void>> = {
  codecs: async (v) => (await import('./codecs.js')).runCodecBench({ mib: num(v.mib, 32), runs: num(v.runs, 5), pageSize: 4096 }),
  startup: async (v) => (await import('./startup.js')).runStartupBench({ runs: num(v.runs, 15) }),
  dense: async (v) =>
    (await import('./dense.js')).runDenseBench({
      memMiB: num(v.mem, 512),
      runs: num(v.runs, 3),
      workers: num(v.workers, 2),
      ...(typeof v['out-dir'] === 'string' ? { outDir: v['out-dir'] } : {}),
      ...(typeof v.ram === 'string' ? { ramFile: v.ram } : {}),
      ...(typeof v['notes-from'] === 'string' ? { notesFrom: v['notes-from'] } : {}),
    }),
  dumps: async (v) => {
    const { runDumpBench, DEFAULT_FORMATS } = await import('./dumps.js');
    const memMiB = num(v.mem, 512);
    await runDumpBench({
      memMiB,
      fillMiB: num(v.fill, Math.floor(memMiB / 4)),
      runs: num(v.runs, 3),
      workers: list(v.workers, ['0', '1', '2']).map(Number),
      formats: list(v.formats, DEFAULT_FORMATS),
      sources: list(v.sources, ['ram', 'elf']) as Array<'ram' | 'elf'>,
      sparseGiB: num(v['sparse-gib'], 16),
      cpuProf: v['cpu-prof'] === true,
      ...(typeof v['out-dir'] === 'string' ? { outDir: v['out-dir'] } : {}),
    });
  },
  'qmp-latency': async (v) => {
    const { runQmpLatencyBench, QMP_LATENCY_FORMATS, QMP_LATENCY_SOURCES } = await import('./qmp-latency.js');
    await runQmpLatencyBench({
      formats: list(v.formats, QMP_LATENCY_FORMATS),
      sources: list(v.sources, QMP_LATENCY_SOURCES),
      intervalMs: num(v.interval, 10),
      workers: num(v.workers, 2),
      qemu: v['no-qemu'] !== true,
      ...(typeof v['out-dir'] === 'string' ? { outDir: v['out-dir'] } : {}),
    });
  },
  'dump-level': async (v) =>
    (await import('./dump-level.js')).runDumpLevelBench({ runs: num(v.runs, 3), level: num(v.level, 31), workers: num(v.workers, 2) }),
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    mib: { type: 'string' },
    runs: { type: 'string' },
    mem: { type: 'string' },
    fill: { type: 'string' },
    workers: { type: 'string' },
    formats: { type: 'string' },
    sources: { type: 'string' },
    'sparse-gib': { type: 'string' },
    'cpu-prof': { type: 'boolean' },
    'out-dir': { type: 'string' },
    ram: { type: 'string' },
    'notes-from': { type: 'string' },
    level: { type: 'string' },
    interval: { type: 'string' },
    'no-qemu': { type: 'boolean' },
  },
});
const names = positionals.length > 0 ? positionals : Object.keys(benches);
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    console.error(`bench: unknown benchmark ${JSON.stringify(name)}; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  await bench(values);
}
