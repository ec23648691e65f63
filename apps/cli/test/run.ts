import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built bin (the bundle, as installed); VMCORE_MAIN points the same tests at another build (e.g. an older commit's). */
export const MAIN = process.env['VMCORE_MAIN'] ?? fileURLToPath(new URL('../bin/vmcore.js', import.meta.url));

export interface Ran {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the built `vmcore` bin as a user would, optionally feeding stdin. */
export function vmcore(args: string[], options: { stdin?: Uint8Array; cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ? Buffer.from(options.stdin) : undefined);
  });
}

/** Runs a shell pipeline; returns the exit status of every stage (bash PIPESTATUS). */
export function pipeline(command: string): Promise<{ statuses: number[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `${command}; echo "\${PIPESTATUS[@]}" >&3`], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let err = '';
    let statuses = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (c: Buffer) => (statuses += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve({ statuses: statuses.trim().split(/\s+/).map(Number), stderr: err }));
  });
}
