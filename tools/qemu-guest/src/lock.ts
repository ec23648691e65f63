import { closeSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import * as os from 'node:os';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, `${process.pid} ${os.hostname()}\n`);
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The owner recorded in a lock file, or undefined when it is unreadable (being written). */
function owner(path: string): { pid: number; host: string } | undefined {
  try {
    const [pid, host] = readFileSync(path, 'utf8').trim().split(' ');
    const n = Number(pid);
    return Number.isSafeInteger(n) && n > 0 ? { pid: n, host: host ?? '' } : undefined;
  } catch {
    return undefined;
  }
}

function isStale(path: string): boolean {
  const o = owner(path);
  if (!o) {
    // Unreadable or empty: stale only if it stayed so for a while (a writer dies between open and write).
    try {
      return Date.now() - statSync(path).mtimeMs > 30_000;
    } catch {
      return false;
    }
  }
  return o.host === os.hostname() && !pidAlive(o.pid);
}

/**
 * An exclusive lock file (O_EXCL) holding "<pid> <host>". A waiter polls; a lock whose pid is dead
 * is taken over under a second O_EXCL "takeover" file so two waiters never both remove it.
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; onWait?: (ownerPid: number | undefined) => void } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
  const takeover = `${path}.takeover`;
  let told = false;
  for (;;) {
    if (tryCreate(path)) break;
    if (isStale(path)) {
      if (tryCreate(takeover)) {
        try {
          if (isStale(path)) {
            // rename first: an atomic claim on exactly the stale file we judged
            const moved = `${path}.stale-${process.pid}`;
            try {
              renameSync(path, moved);
              rmSync(moved, { force: true });
            } catch {
              /* someone else released it meanwhile */
            }
          }
        } finally {
          rmSync(takeover, { force: true });
        }
        continue;
      } else if (isStale(takeover)) {
        rmSync(takeover, { force: true });
      }
    }
    if (Date.now() > deadline)
      throw new Error(`lock ${path}: still held by pid ${owner(path)?.pid ?? '?'} after ${options.timeoutMs ?? 3_600_000} ms`);
    if (!told) {
      options.onWait?.(owner(path)?.pid);
      told = true;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
