import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runBounded, type ChildResult } from './child.js';
import type { Recipe } from './recipe.js';

export interface ReaderRun {
  readonly recipe: string;
  readonly command: string;
  readonly result: ChildResult;
  readonly verdict: 'ok' | 'clean-error' | 'crash' | 'hang' | 'unclean-error';
  /** Files found under the final name (or temporary files) after a failed convert. */
  readonly leftovers: readonly string[];
}

const CLEAN = /^vmcore: [^\n]+\n$/;

/** What a finished run counts as: success, a one-line `vmcore:` error, or a crash/hang. */
export function verdictOf(result: ChildResult): ReaderRun['verdict'] {
  if (result.hung) return 'hang';
  if (result.signal !== null || result.code === null || result.code > 2) return 'crash';
  if (/\n\s+at .+\(.+:\d+:\d+\)|RangeError|TypeError|ReferenceError|Maximum call stack/.test(result.stderr)) return 'crash';
  if (result.code === 0) return 'ok';
  return CLEAN.test(result.stderr) ? 'clean-error' : 'unclean-error';
}

/**
 * `vmcore info IN` and `vmcore convert IN OUT -f FMT` for each format, each bounded; after a
 * failed convert neither OUT nor a temporary file may remain.
 */
export async function runReaders(
  cli: string,
  recipe: Recipe,
  input: string,
  formats: readonly string[],
  work: string,
  timeoutMs: number,
): Promise<ReaderRun[]> {
  const runs: ReaderRun[] = [];
  const rssFile = join(work, 'rss');
  const info = await runBounded(cli, ['info', input], { timeoutMs, rssFile });
  runs.push({ recipe: recipe.name, command: 'info', result: info, verdict: verdictOf(info), leftovers: [] });
  for (const format of formats) {
    const outDir = join(work, 'out');
    await rm(outDir, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(outDir);
    const out = join(outDir, `out.${format}`);
    const result = await runBounded(cli, ['convert', input, out, '-f', format, '-q', '--workers', '0'], { timeoutMs, rssFile });
    const left = result.code === 0 ? [] : await readdir(outDir);
    runs.push({ recipe: recipe.name, command: `convert -f ${format}`, result, verdict: verdictOf(result), leftovers: left });
    await rm(outDir, { recursive: true, force: true });
  }
  return runs;
}
