import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { winReferenceGuest } from '@vmcore/win-guest';
import { openGuestBackend, QmpMonitor, QmpSession } from '../src/index.js';
import { MemoryTransport } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vmcore-qmp-windmp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vmcore-qmp serving a synthetic Windows guest (QEMU 7.2 ELF)', () => {
  it("lists win-dmp and writes QEMU's win-dmp byte for byte through dump-guest-memory", async () => {
    const ref = await winReferenceGuest({ cpus: 1, kdbg: 'plain', highMemory: false });
    const monitor = new QmpMonitor({ backend: await openGuestBackend(ref.qemuElf) });
    const transport = new MemoryTransport();
    const session = new QmpSession(monitor, transport);
    monitor.addSession(session);
    const send = async (text: string) => {
      session.receive(new TextEncoder().encode(text));
      await session.idle();
      const messages = transport.messages();
      return messages[messages.length - 1]!;
    };
    await send('{"execute":"qmp_capabilities"}');
    expect(await send('{"execute":"query-dump-guest-memory-capability"}')).toHaveProperty(
      'return.formats',
      expect.arrayContaining(['elf', 'win-dmp']),
    );
    const out = join(dir, 'guest.dmp');
    expect(await send(`{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:${out}","format":"win-dmp"}}`)).toEqual({
      return: {},
    });
    expect(Buffer.compare(readFileSync(out), readFileSync(ref.qemuDmp))).toBe(0);
    expect(await send(`{"execute":"dump-guest-memory","arguments":{"paging":true,"protocol":"file:${out}2","format":"win-dmp"}}`)).toEqual({
      error: { class: 'GenericError', desc: "kdump-compressed format doesn't support paging or filter" },
    });
    await monitor.close();
  });
});
