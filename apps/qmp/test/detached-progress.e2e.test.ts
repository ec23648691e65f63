/**
 * A detached dump of a large real guest (QEMU's 4 GiB reference guest, served from QEMU's own
 * ELF): query-dump shows `completed` growing towards `total` while the monitor keeps answering
 * other clients promptly.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceGuest } from '@vmcore/qemu-guest';
import { openGuestBackend, QmpServer } from '../src/index.js';
import { LineClient } from './client.js';

let server: QmpServer | undefined;
let dir: string;

beforeAll(async () => {
  const reference = await referenceGuest({ memMiB: 4096 });
  dir = mkdtempSync(join(tmpdir(), 'vmcore-qmp-big-'));
  server = await QmpServer.listen({ backend: await openGuestBackend(reference.qemuElf), socket: join(dir, 'qmp.sock') });
}, 1_800_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('detached dump of a 4 GiB guest', () => {
  it('reports growing progress and keeps answering while it runs', async () => {
    const owner = await LineClient.open({ path: join(dir, 'qmp.sock') });
    const watcher = await LineClient.open({ path: join(dir, 'qmp.sock') });
    await owner.until((m) => m.length >= 1);
    await watcher.until((m) => m.length >= 1);
    await owner.request('{"execute":"qmp_capabilities"}');
    await watcher.request('{"execute":"qmp_capabilities"}');
    const total = server!.monitor.job.total; // 0 before the first dump
    expect(total).toBe(0);

    expect(
      await owner.request('{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:/dev/null","detach":true}}'),
    ).toEqual({ return: {} });
    const progress: number[] = [];
    const latencies: number[] = [];
    let status = 'active';
    while (status === 'active') {
      const started = performance.now();
      const reply = (await watcher.request('{"execute":"query-dump"}')).return as { status: string; completed: number; total: number };
      const state = (await watcher.request('{"execute":"query-status"}')).return as { status: string };
      latencies.push(performance.now() - started);
      if (reply.status === 'active' && server!.monitor.job.active) expect(state.status).toBe('save-vm');
      status = reply.status;
      if (status === 'active') {
        expect(reply.total).toBeGreaterThan(4 * 1024 ** 3 - 1);
        progress.push(reply.completed);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (status !== 'active') expect(reply).toEqual({ total: reply.total, status: 'completed', completed: reply.total });
    }
    const distinct = [...new Set(progress)];
    expect(distinct.length).toBeGreaterThanOrEqual(3);
    expect(distinct).toEqual([...distinct].sort((a, b) => a - b));
    expect(Math.max(...latencies)).toBeLessThan(2000);
    await watcher.until((m) => m.some((x) => x.event === 'RESUME'));
    const events = watcher.messages.filter((m) => 'event' in m).map((m) => m.event);
    expect(events).toEqual(['STOP', 'DUMP_COMPLETED', 'RESUME']);
    owner.close();
    watcher.close();
  }, 600_000);
});
