// `pnpm --filter @vmcore/bench bench <name> [--mib N] [--runs N]`. Each benchmark lives in its
// own module (codecs.ts; later kdump writer vs QEMU / makedumpfile) and is loaded on demand.
import { parseArgs } from 'node:util';

const benches: Record<string, (args: { mib: number; runs: number }) => Promise<void>> = {
  codecs: async ({ mib, runs }) => (await import('./codecs.js')).runCodecBench({ mib, runs, pageSize: 4096 }),
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { mib: { type: 'string', default: '32' }, runs: { type: 'string', default: '5' } },
});
const names = positionals.length > 0 ? positionals : Object.keys(benches);
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    console.error(`bench: unknown benchmark ${JSON.stringify(name)}; known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  await bench({ mib: Number(values.mib), runs: Number(values.runs) });
}
