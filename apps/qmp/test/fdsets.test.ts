import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpServer } from '../src/index.js';
import { TestBackend } from './helpers.js';
import { QEMU_QMP_CLIENT, runQemuPython } from './qemu-python.js';

let dir: string;
let server: QmpServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmcore-qmp-fdset-'));
  server = await QmpServer.listen({ backend: new TestBackend({ chunk: 1 << 20 }), socket: join(dir, 'qmp.sock') });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('fd sets, the way libvirt uses them (driven by qemu.qmp)', () => {
  it('add-fd with a passed descriptor, dump-guest-memory to file:/dev/fdset/N, DUMP_COMPLETED, remove-fd', async () => {
    const lines = (await runQemuPython([QEMU_QMP_CLIENT, 'libvirt', join(dir, 'qmp.sock'), dir])).trim().split('\n');
    const messages = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const fd = (messages[0] as { return: { fd: number } }).return.fd;
    const total = (640 << 10) + (16 << 20);
    expect(messages).toEqual([
      { return: { fd, 'fdset-id': 7 } },
      { return: [{ fds: [{ fd, opaque: 'libvirt-dump' }], 'fdset-id': 7 }] },
      { return: {} },
      { event: 'STOP' },
      { event: 'DUMP_COMPLETED', data: { result: { total, status: 'completed', completed: total } } },
      { event: 'RESUME' },
      { return: {} },
      // As QEMU 7.2: dump.c closes its dup with close(), so the set outlives its descriptor.
      { return: [{ fds: [], 'fdset-id': 7 }] },
      { size: 64 + total },
    ]);
    expect(readFileSync(join(dir, 'fdset.dump')).subarray(0, 8).toString()).toBe('TESTDUMP');
  });
});
