import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpServer } from '../src/index.js';
import { harness, last, TestBackend } from './helpers.js';
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

describe('fd sets (monitor/misc.c rules)', () => {
  const CAPS = '{"execute":"qmp_capabilities"}';

  it('opens /dev/fdset/N only through a write-only descriptor, and truncates the file as qemu_dup_flags(O_TRUNC)', async () => {
    const h = harness();
    const c = h.connect();
    await c.send(CAPS);
    const rw = join(dir, 'rw.dump');
    writeFileSync(rw, 'x'.repeat(100));
    c.transport.fds.push(openSync(rw, 'r+'));
    expect(last(await c.send('{"execute":"add-fd","arguments":{"fdset-id":2}}'))).toHaveProperty('return.fdset-id', 2);
    expect(last(await c.send('{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:/dev/fdset/2"}}'))).toEqual({
      error: { class: 'GenericError', desc: "Could not open '/dev/fdset/2': Permission denied" },
    });
    const wo = join(dir, 'wo.dump');
    writeFileSync(wo, 'y'.repeat(50 << 20));
    c.transport.fds.push(openSync(wo, 'w'));
    expect(last(await c.send('{"execute":"add-fd","arguments":{"fdset-id":2}}'))).toHaveProperty('return.fdset-id', 2);
    expect(last(await c.send('{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:/dev/fdset/2"}}'))).toEqual({
      return: {},
    });
    expect(statSync(wo).size).toBe(64 + (640 << 10) + (16 << 20));
    expect(readFileSync(rw, 'utf8')).toBe('x'.repeat(100));
    expect(last(await c.send('{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:/dev/fdset/-1"}}'))).toEqual({
      error: { class: 'GenericError', desc: "Could not open '/dev/fdset/-1': Invalid argument" },
    });
    await h.monitor.close();
  });

  it('numbers sets from the first free id and refuses a negative one, closing the passed descriptor', async () => {
    const h = harness();
    const c = h.connect();
    await c.send(CAPS);
    const open = () => openSync(join(dir, 'ids.dump'), 'w');
    const add = async (args: string) => {
      c.transport.fds.push(open());
      return last(await c.send(`{"execute":"add-fd","arguments":${args}}`));
    };
    expect(await add('{"fdset-id":1}')).toHaveProperty('return.fdset-id', 1);
    expect(await add('{}')).toHaveProperty('return.fdset-id', 0);
    expect(await add('{}')).toHaveProperty('return.fdset-id', 2);
    const refused = open();
    c.transport.fds.push(refused);
    expect(last(await c.send('{"execute":"add-fd","arguments":{"fdset-id":-3}}'))).toEqual({
      error: { class: 'GenericError', desc: "Parameter 'fdset-id' expects a non-negative value" },
    });
    expect(() => statSync(`/proc/self/fd/${refused}`)).toThrow();
    const sets = last(await c.send('{"execute":"query-fdsets"}')) as { return: { 'fdset-id': number }[] };
    expect(sets.return.map((s) => s['fdset-id'])).toEqual([2, 1, 0]);
    await h.monitor.close();
  });
});
