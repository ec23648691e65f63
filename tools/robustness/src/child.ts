import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const PROBE = fileURLToPath(new URL('../probe/rss-probe.cjs', import.meta.url));

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** Killed at the time bound. */
  readonly hung: boolean;
  readonly ms: number;
  /** Peak resident set size in bytes, from the child itself (undefined if it was killed). */
  readonly rss?: number;
}

/** Runs `node --require rss-probe SCRIPT ARGS` with a wall-clock bound (SIGKILL when exceeded). */
export async function runBounded(script: string, args: readonly string[], options: { timeoutMs: number; rssFile: string }): Promise<ChildResult> {
  const started = Date.now();
  await rm(options.rssFile, { force: true });
  const result = await new Promise<Omit<ChildResult, 'rss'>>((resolve) => {
    const child = spawn(process.execPath, ['--require', PROBE, script, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, VMCORE_RSS_FILE: options.rssFile },
    });
    let stderr = '';
    let hung = false;
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, hung, ms: Date.now() - started });
    });
  });
  const rss = await readFile(options.rssFile, 'utf8').then(Number, () => undefined);
  return rss === undefined ? result : { ...result, rss };
}
