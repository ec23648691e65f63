import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export interface Measured {
  /** Wall time from spawn to exit, seen by this process. */
  seconds: number;
  /** Peak resident set of the command (GNU time's %M), MiB; NaN when GNU time is missing. */
  maxRssMiB: number;
  /** User + system CPU seconds of the command (GNU time's %U + %S), threads included; NaN without GNU time. */
  cpuSeconds: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion under GNU time for its peak RSS (ru_maxrss of the command,
 * worker threads included), timing it from here. Rejects on a non-zero exit or after
 * `timeoutMs` (the command is killed then).
 */
export function runMeasured(
  command: string,
  args: readonly string[],
  options: { stdinFile?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<Measured> {
  const withTime = existsSync(GNU_TIME);
  const dir = mkdtempSync(join(tmpdir(), 'vmcore-bench-time-'));
  const timeFile = join(dir, 'time.txt');
  const argv = withTime ? [GNU_TIME, '-f', '%M %U %S', '-o', timeFile, command, ...args] : [command, ...args];
  const stdinFd = options.stdinFile !== undefined ? openSync(options.stdinFile, 'r') : undefined;
  return new Promise<Measured>((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [stdinFd ?? 'ignore', 'pipe', 'pipe'],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 1 << 20) stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 1 << 20) stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(' ')}: exit ${code ?? signal}: ${stderr.trim().slice(-2000)}`));
        return;
      }
      let maxRssMiB = Number.NaN;
      let cpuSeconds = Number.NaN;
      if (withTime) {
        // GNU time appends "Command exited…" lines on failure; the last line is "%M %U %S" (KiB, s, s).
        const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
        const [rss, user, sys] = lines[lines.length - 1]!.split(' ').map(Number);
        maxRssMiB = rss! / 1024;
        cpuSeconds = user! + sys!;
      }
      resolve({ seconds, maxRssMiB, cpuSeconds, stdout, stderr });
    });
  }).finally(() => {
    if (stdinFd !== undefined) closeSync(stdinFd);
    rmSync(dir, { recursive: true, force: true });
  });
}
