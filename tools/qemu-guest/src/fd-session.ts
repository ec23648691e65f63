import { pythonPath, packageDir } from './paths.js';
import * as path from 'node:path';
import { spawn } from 'node:child_process';

export interface FdSessionStep {
  /** Sent exactly as given (include the trailing newline). */
  line: string;
  /** A file opened by the helper and passed with this line (SCM_RIGHTS), e.g. for `getfd`. */
  fd?: { path: string; mode?: 'w' | 'r' };
  /** 'reply' (default): read up to the return/error line; 'none'; or a number of lines. */
  expect?: 'reply' | 'none' | number;
}

export interface FdSessionResult {
  greeting: string;
  /** Lines received after each step (events included), in order. */
  steps: string[][];
  /** Set when the session broke off (socket closed, timeout). */
  error?: string;
}

const script = path.join(packageDir, 'py', 'qmp_fd_session.py');

/**
 * Runs a QMP exchange on `socket` in a helper process that can attach file descriptors
 * (Node cannot): `getfd` + `dump-guest-memory protocol fd:NAME` must share one connection.
 * Use a monitor nobody else is connected to (RunningGuest.rawQmpSocket).
 */
export function qmpSessionWithFds(socket: string, steps: FdSessionStep[], options: { timeoutMs?: number } = {}): Promise<FdSessionResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const child = spawn(pythonPath, [script, socket, String(timeoutMs / 1000)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 10_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as FdSessionResult);
      } catch {
        reject(new Error(`qmp_fd_session.py: exit ${code}: ${stderr.trim().slice(0, 2000) || stdout.slice(0, 2000)}`));
      }
    });
    child.stdin.end(JSON.stringify({ steps }));
  });
}
