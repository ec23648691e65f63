import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DUMP_FORMATS } from '@vmcore/dump';
import { runBounded } from './child.js';
import { elfCases, flatCases, kdumpCases } from './generate.js';
import { Prng } from './prng.js';
import { caseFromJson, fuzzQmp, qmpCases } from './qmp-fuzz.js';
import { runReaders, type ReaderRun } from './readers.js';
import { materialize, type Recipe } from './recipe.js';

/**
 * The standing robustness suite (issue 10): hostile ELF / kdump / flattened / VMCOREINFO inputs
 * made from the committed sample guest run through `vmcore info` and `vmcore convert` as child
 * processes with a time bound, and a QMP wire fuzzer against `vmcore-qmp`. Exits 1 when any
 * bound is broken: a crash, a hang over TIMEOUT_MS, peak RSS over RSS_LIMIT, a file left under
 * a final name after a failure, or a QMP server that stops answering.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'apps/cli/bin/vmcore.js');
const QMP = join(ROOT, 'apps/qmp/dist/main.js');
const SAMPLE = join(ROOT, 'tools/qemu-guest/sample/sample-guest.kdump');
const CORPUS = fileURLToPath(new URL('../corpus/', import.meta.url));
const TIMEOUT_MS = 10_000;
const RSS_LIMIT = 512 * 2 ** 20;
const SEED = Number(process.env['ROBUSTNESS_SEED'] ?? 10);
const PARALLEL = Number(process.env['ROBUSTNESS_PARALLEL'] ?? 2);
const QMP_RANDOM = Number(process.env['ROBUSTNESS_QMP_RANDOM'] ?? 24);
/** Generated reader cases run per suite (a seeded sample of all of them); 0 runs them all. */
const GENERATED = Number(process.env['ROBUSTNESS_GENERATED'] ?? 72);

async function pool<T, R>(items: readonly T[], width: number, work: (item: T, slot: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async (_, slot) => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, slot);
      }
    }),
  );
  return out;
}

async function makeSeeds(work: string): Promise<{ elf: string; kdump: string; flat: string }> {
  const seeds = { elf: join(work, 'seed.elf'), kdump: join(work, 'seed.kdump'), flat: join(work, 'seed.flat') };
  const steps: [string[], string][] = [
    // An 8 MiB slice of the real guest keeps every conversion short; notes and VMCOREINFO come along.
    [['convert', SAMPLE, seeds.elf, '-f', 'elf', '--begin', '0', '--length', '8M', '-q'], 'elf'],
    [['convert', seeds.elf, seeds.kdump, '-f', 'kdump-raw-zlib', '-q'], 'kdump'],
    [['convert', seeds.elf, seeds.flat, '-f', 'kdump-lzo', '-q'], 'flat'],
  ];
  for (const [args, what] of steps) {
    const made = await runBounded(CLI, args, { timeoutMs: 120_000, rssFile: join(work, 'rss-seed') });
    if (made.code !== 0) throw new Error(`cannot make the ${what} seed: ${made.stderr}`);
  }
  return seeds;
}

async function corpusRecipes(): Promise<Recipe[]> {
  const dir = join(CORPUS, 'readers');
  const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as Recipe));
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<number> {
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'vmcore-robustness-'));
  try {
    const seeds = await makeSeeds(work);
    const rng = new Prng(SEED);
    const formats = [...DUMP_FORMATS];
    const full: Recipe[] = [...Object.keys(seeds).map((seed) => ({ name: `seed-${seed}`, seed, edits: [] })), ...(await corpusRecipes())];
    const all = [
      ...(await kdumpCases(seeds.kdump, 'kdump', rng)),
      ...(await flatCases(seeds.flat, 'flat', rng)),
      ...(await elfCases(seeds.elf, 'elf', rng)),
    ];
    // A seeded sample keeps the run within minutes; ROBUSTNESS_SEED varies it, GENERATED=0 runs all.
    for (let i = all.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    const generated = GENERATED > 0 ? all.slice(0, GENERATED) : all;
    // Seeds and corpus go to every format; generated cases to one each, in turn, so the suite
    // covers every format and stays within minutes on two cores.
    const plan = [
      ...full.map((recipe) => ({ recipe, formats })),
      ...generated.map((recipe, i) => ({ recipe, formats: [formats[i % formats.length]!] })),
    ];
    const runs = (
      await pool(plan, PARALLEL, async ({ recipe, formats: fmts }, slot) => {
        const dir = join(work, `slot${slot}`);
        await mkdir(dir, { recursive: true });
        const input = join(dir, 'input');
        await materialize(recipe, seeds, input);
        try {
          return await runReaders(CLI, recipe, input, fmts, dir, TIMEOUT_MS);
        } finally {
          await rm(input, { force: true });
        }
      })
    ).flat();

    const qmpGuest = seeds.kdump;
    const corpusQmp = await Promise.all(
      (await readdir(join(CORPUS, 'qmp')))
        .filter((n) => n.endsWith('.json'))
        .sort()
        .map(async (n) => caseFromJson(await readFile(join(CORPUS, 'qmp', n), 'utf8'))),
    );
    const qmp = await fuzzQmp(
      QMP,
      qmpGuest,
      join(work, 'qmp'),
      [...corpusQmp, ...qmpCases(SEED, QMP_RANDOM, join(work, 'qmp', 'dumps'))],
      join(work, 'qmp-failed'),
    );

    const count = (v: ReaderRun['verdict']) => runs.filter((r) => r.verdict === v).length;
    const rssValues = runs.map((r) => r.result.rss ?? 0);
    const peak = Math.max(...rssValues);
    const peakRun = runs[rssValues.indexOf(peak)]!;
    const left = runs.filter((r) => r.leftovers.length > 0);
    const crashes = runs.filter((r) => r.verdict === 'crash');
    const hangs = runs.filter((r) => r.verdict === 'hang');
    const unclean = runs.filter((r) => r.verdict === 'unclean-error');
    const overRss = runs.filter((r) => (r.result.rss ?? 0) > RSS_LIMIT);
    const slowest = runs.reduce((a, b) => (b.result.ms > a.result.ms ? b : a));

    const lines = [
      `robustness: seed ${SEED}, ${plan.length} inputs tried (${generated.length} of ${all.length} generated, ${full.length} seeds and corpus), ${runs.length} reader runs`,
      `  clean errors:           ${count('clean-error')} (one 'vmcore: ...' line, exit 1)`,
      `  successes:              ${count('ok')}`,
      `  unclean errors:         ${unclean.length} (must be 0)`,
      `  crashes:                ${crashes.length} (must be 0)`,
      `  hangs over ${TIMEOUT_MS / 1000} s:        ${hangs.length} (must be 0; ${TIMEOUT_MS / 1000} s of CPU time or ${(TIMEOUT_MS * 6) / 1000} s of wall time); slowest run ${(slowest.result.ms / 1000).toFixed(1)} s wall, ${slowest.result.cpu.toFixed(1)} s CPU (${slowest.recipe}: ${slowest.command})`,
      `  peak RSS:               ${mib(peak)} (limit ${mib(RSS_LIMIT)}; ${peakRun.recipe}: ${peakRun.command})`,
      `  files left after a failure: ${left.length} (must be 0)`,
      `  QMP: ${qmp.cases} cases, server alive and answering a new client after ${qmp.aliveAfter} of them, crashes ${qmp.crashes} (must be 0)`,
      `  time: ${((Date.now() - started) / 1000).toFixed(0)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const problems = [
      ...crashes.map((r) => `crash: ${r.recipe}: ${r.command}: exit ${r.result.code ?? r.result.signal}: ${r.result.stderr.slice(0, 300)}`),
      ...hangs.map((r) => `hang: ${r.recipe}: ${r.command}`),
      ...unclean.map((r) => `unclean error: ${r.recipe}: ${r.command}: ${JSON.stringify(r.result.stderr.slice(0, 300))}`),
      ...overRss.map((r) => `RSS ${mib(r.result.rss!)}: ${r.recipe}: ${r.command}`),
      ...left.map((r) => `left behind: ${r.recipe}: ${r.command}: ${r.leftovers.join(', ')}`),
      ...qmp.failures.map((f) => `qmp: ${f}`),
    ];
    const recipes = new Map([...full, ...generated].map((r) => [r.name, r]));
    for (const p of problems) process.stdout.write(`FAIL ${p}\n`);
    const failedRecipes = new Set([...crashes, ...hangs, ...unclean, ...overRss, ...left].map((r) => r.recipe));
    for (const name of failedRecipes)
      process.stdout.write(`  corpus candidate (tools/robustness/corpus/readers/): ${JSON.stringify(recipes.get(name))}\n`);
    for (const file of qmp.saved)
      process.stdout.write(
        `  corpus candidate (tools/robustness/corpus/qmp/): ${await readFile(file, 'utf8').then((t) => t.slice(0, 200))}...\n`,
      );
    return problems.length === 0 && qmp.aliveAfter === qmp.cases ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`robustness: ${(error as Error).stack ?? String(error)}\n`);
  return 1;
});
