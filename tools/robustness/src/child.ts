import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  /** CPU seconds (user + system) the child had used when last sampled. */
  readonly cpu: number;
  /** Peak resident set size in bytes, from the child itself (undefined if it was killed). */
  readonly rss?: number;
}

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds a process has used, from /proc (0 where /proc is missing or it has exited). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return 0;
  }
}

/**
 * Runs `node --require rss-probe SCRIPT ARGS`, killed (SIGKILL) once it has used `timeoutMs` of
 * CPU time, or after `wallLimitMs` of wall time whatever it did: on a shared, loaded machine wall
 * time alone would call a slow start a hang, while CPU time is what a runaway loop burns.
 */
export async function runBounded(
  script: string,
  args: readonly string[],
  options: { timeoutMs: number; rssFile: string; wallLimitMs?: number },
): Promise<ChildResult> {
  const started = Date.now();
  await rm(options.rssFile, { force: true });
  const result = await new Promise<Omit<ChildResult, 'rss'>>((resolve) => {
    const child = spawn(process.execPath, ['--require', PROBE, script, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, VMCORE_RSS_FILE: options.rssFile },
    });
    let stderr = '';
    let hung = false;
    let cpu = 0;
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString();
    });
    const wallLimit = options.wallLimitMs ?? options.timeoutMs * 6;
    const timer = setInterval(() => {
      cpu = Math.max(cpu, cpuSeconds(child.pid));
      if (cpu * 1000 > options.timeoutMs || Date.now() - started > wallLimit) {
        hung = true;
        child.kill('SIGKILL');
      }
    }, 250);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr, hung, ms: Date.now() - started, cpu });
    });
  });
  const rss = await readFile(options.rssFile, 'utf8').then(Number, () => undefined);
  return rss === undefined ? result : { ...result, rss };
}
