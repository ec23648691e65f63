import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { withLock } from '../src/lock.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vmcore-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('withLock', () => {
  it('runs one holder at a time', async () => {
    const lock = path.join(tmp(), 'x.lock');
    const order: string[] = [];
    const job = (name: string) =>
      withLock(lock, async () => {
        order.push(`${name}+`);
        await new Promise((r) => setTimeout(r, 50));
        order.push(`${name}-`);
      });
    await Promise.all([job('a'), job('b')]);
    expect(order).toHaveLength(4);
    expect(order[0]![0]).toBe(order[1]![0]);
    expect(order[2]![0]).toBe(order[3]![0]);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock left by a dead process', async () => {
    const lock = path.join(tmp(), 'x.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(lock, `${dead} ${os.hostname()}\n`);
    await expect(withLock(lock, async () => 'ran', { timeoutMs: 5000 })).resolves.toBe('ran');
  });

  it('waits for a live holder and gives up at the timeout', async () => {
    const lock = path.join(tmp(), 'x.lock');
    writeFileSync(lock, `${process.pid} ${os.hostname()}\n`);
    await expect(withLock(lock, async () => 'ran', { timeoutMs: 1200 })).rejects.toThrow(/still held by pid/);
  });
});
