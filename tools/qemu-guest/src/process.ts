import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion under a timeout (SIGKILL when it expires); never rejects for a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { timeoutMs?: number; stdinFile?: string; stdoutFile?: string; cwd?: string; maxOutput?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    void (async () => {
      const { openSync, closeSync } = await import('node:fs');
      const stdinFd = options.stdinFile !== undefined ? openSync(options.stdinFile, 'r') : undefined;
      const stdoutFd = options.stdoutFile !== undefined ? openSync(options.stdoutFile, 'w') : undefined;
      const child = spawn(command, args, {
        cwd: options.cwd,
        stdio: [stdinFd ?? 'ignore', stdoutFd ?? 'pipe', 'pipe'],
      });
      const max = options.maxOutput ?? 16 << 20;
      let stdout = '';
      let stderr = '';
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        if (stdout.length < max) stdout += d;
      });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < max) stderr += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
      const closeFds = () => {
        if (stdinFd !== undefined) closeSync(stdinFd);
        if (stdoutFd !== undefined) closeSync(stdoutFd);
      };
      child.on('error', (err) => {
        clearTimeout(timer);
        closeFds();
        reject(new Error(`${command}: ${err.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        closeFds();
        resolve({ code, signal, stdout, stderr });
      });
    })().catch(reject);
  });
}

/** Like `run` but rejects unless the command exits 0; the error carries stderr. */
export async function runChecked(command: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(command, args, options);
  if (r.code !== 0) {
    throw new Error(`${command} ${args.join(' ')}: exit ${r.code ?? r.signal}${r.stderr ? `: ${r.stderr.trim().slice(0, 2000)}` : ''}`);
  }
  return r;
}
