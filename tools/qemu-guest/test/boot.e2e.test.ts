import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, qmpSessionWithFds, QmpError, QmpLineConnection, type RunningGuest } from '../src/index.js';

let guest: RunningGuest | undefined;
beforeAll(async () => {
  guest = await bootGuest({ memMiB: 256, fillMiB: 0 });
}, 600_000);
afterAll(async () => {
  await guest?.stop();
});

describe('bootGuest (live QEMU, TCG)', () => {
  it('boots to READY with KASLR on and answers QMP', async () => {
    const g = guest!;
    expect(g.facts.fwCfgVmcoreinfo).toBe(true);
    const qmp = await g.qmp();
    expect(await qmp.execute('query-status')).toMatchObject({ status: 'running', running: true });
    expect(await qmp.execute('query-dump-guest-memory-capability')).toEqual({
      formats: expect.arrayContaining(['elf', 'kdump-zlib']) as unknown,
    });
    expect(await qmp.hmp('info mtree -f')).toContain('AS "memory"');
    expect(existsSync(g.ramFile)).toBe(true);
  });

  it("reports QEMU's own error class and text for a bad dump request", async () => {
    const qmp = await guest!.qmp();
    const err = await qmp.execute('dump-guest-memory', { paging: false, protocol: 'nosuch:x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpError);
    expect(err).toMatchObject({ errorClass: 'GenericError', desc: "Invalid parameter 'protocol'" });
  });

  it('serves a second, raw QMP monitor for transcript replay', async () => {
    const conn = await QmpLineConnection.connect(guest!.rawQmpSocket);
    try {
      expect(JSON.parse(await conn.readLine(10_000))).toHaveProperty('QMP');
      await conn.send('{"execute":"qmp_capabilities","id":1}\n');
      expect(JSON.parse(await conn.readLine(10_000))).toEqual({ return: {}, id: 1 });
      await conn.send('{"execute":"query-dump","id":2}\n');
      expect(JSON.parse(await conn.readLine(10_000))).toEqual({ return: { status: 'none', total: 0, completed: 0 }, id: 2 });
    } finally {
      conn.close();
    }
  });

  it('passes a file descriptor with getfd and dumps to fd:NAME on the same monitor', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vmcore-fd-'));
    try {
      const out = path.join(dir, 'fd.flat');
      const r = await qmpSessionWithFds(guest!.rawQmpSocket, [
        { line: '{"execute":"qmp_capabilities"}\n' },
        { line: '{"execute":"getfd","arguments":{"fdname":"vmcorefd"}}\n', fd: { path: out } },
        { line: '{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"fd:vmcorefd","format":"kdump-zlib"}}\n' },
        { line: '{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"fd:vmcorefd"}}\n' },
      ]);
      expect(r.error).toBeUndefined();
      expect(r.steps[1]).toEqual(['{"return": {}}']);
      const dumpLines = r.steps[2]!.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(dumpLines.at(-1)).toEqual({ return: {} });
      expect(dumpLines.some((m) => m.event === 'DUMP_COMPLETED')).toBe(true);
      // the descriptor is consumed by the first dump
      expect(JSON.parse(r.steps[3]!.at(-1)!)).toEqual({
        error: { class: 'GenericError', desc: "File descriptor named 'vmcorefd' has not been found" },
      });
      expect(readFileSync(out).subarray(0, 12).toString('latin1')).toBe('makedumpfile');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops QEMU and removes the RAM file', async () => {
    const g = guest!;
    await g.stop();
    guest = undefined;
    expect((await g.exited).code).toBe(0);
    expect(existsSync(g.ramFile)).toBe(false);
  });
});
