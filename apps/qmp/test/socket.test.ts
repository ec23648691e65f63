import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpServer } from '../src/index.js';
import { LineClient } from './client.js';
import { TestBackend } from './helpers.js';

const CAPS = '{"execute":"qmp_capabilities"}';
let dir: string;
let server: QmpServer;
const clients: LineClient[] = [];

async function open(kind: 'unix' | 'tcp' = 'unix'): Promise<LineClient> {
  const client = await LineClient.open(
    kind === 'unix' ? { path: join(dir, 'qmp.sock') } : { port: server.tcpAddress!.port, host: '127.0.0.1' },
  );
  clients.push(client);
  await client.until((m) => m.length >= 1);
  return client;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmcore-qmp-sock-'));
  server = await QmpServer.listen({
    backend: new TestBackend({ chunk: 256 << 10, delayMs: 10 }),
    socket: join(dir, 'qmp.sock'),
    tcpPort: 0,
    maxMessageBytes: 64 << 10,
  });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vmcore-qmp over real sockets', () => {
  it('serves a UNIX-socket client and a loopback TCP client at once, each negotiating for itself', async () => {
    const unix = await open('unix');
    const tcp = await open('tcp');
    expect(server.tcpAddress!.address).toBe('127.0.0.1');
    expect(unix.messages[0]).toHaveProperty('QMP.capabilities', ['oob']);
    expect(tcp.messages[0]).toHaveProperty('QMP.capabilities', ['oob']);
    expect(await unix.request(CAPS)).toEqual({ return: {} });
    expect(await tcp.request('{"execute":"query-status","id":"t"}')).toEqual({
      id: 't',
      error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" },
    });
    expect(await tcp.request(CAPS)).toEqual({ return: {} });
    expect(await unix.request('{"execute":"stop"}')).toEqual({ return: {} });
    await tcp.until((m) => m.some((x) => x.event === 'STOP'));
    expect(await tcp.request('{"execute":"cont"}')).toEqual({ return: {} });
    await unix.until((m) => m.some((x) => x.event === 'RESUME'));
  });

  it('answers malformed JSON and keeps the connection', async () => {
    const client = await open();
    expect(await client.request('{"execute": tru}\n')).toEqual({
      error: { class: 'GenericError', desc: "JSON parse error, invalid keyword 'tru'" },
    });
    expect(await client.request(CAPS)).toEqual({ return: {} });
  });

  it("answers an oversized message with QEMU's size error, keeps lexing, keeps the connection", async () => {
    const big = await open();
    const other = await open();
    big.socket.write(`{"execute":"qmp_capabilities","arguments":{"x":"${'a'.repeat(200_000)}"}}\n${CAPS}`);
    await big.until((m) => m.some((x) => 'return' in x));
    expect(big.replies()[0]).toEqual({ error: { class: 'GenericError', desc: 'JSON token size limit exceeded' } });
    expect(big.replies().at(-1)).toEqual({ return: {} });
    expect(big.closed).toBe(false);
    expect(await other.request(CAPS)).toEqual({ return: {} });
    expect(server.monitor.sessions.size).toBe(2);
  });

  it('finishes a dump whose client vanished and keeps serving the others', async () => {
    const gone = await open();
    const watcher = await open();
    await gone.request(CAPS);
    await watcher.request(CAPS);
    gone.socket.write(
      JSON.stringify({ execute: 'dump-guest-memory', arguments: { paging: false, protocol: `file:${join(dir, 'v.elf')}` } }),
    );
    await watcher.until((m) => m.some((x) => x.event === 'STOP'));
    gone.close();
    expect(await watcher.request('{"execute":"query-dump"}')).toHaveProperty('return.status', 'active');
    await watcher.until((m) => m.some((x) => x.event === 'RESUME'), 20_000);
    const done = watcher.messages.find((x) => x.event === 'DUMP_COMPLETED')!;
    expect(done.data).toHaveProperty('result.status', 'completed');
    expect(await watcher.request('{"execute":"query-status"}')).toEqual({
      return: { status: 'running', singlestep: false, running: true },
    });
  });

  it.each(['unix', 'tcp'] as const)('%s: answers 50 requests pipelined behind a slow synchronous dump, in order', async (kind) => {
    const client = await open(kind);
    await client.request(CAPS);
    const dump = JSON.stringify({
      execute: 'dump-guest-memory',
      arguments: { paging: false, protocol: `file:${join(dir, 'slow.elf')}` },
      id: 'dump',
    });
    const burst = Array.from({ length: 50 }, (_, i) => `{"execute":"query-status","id":${i}}`).join('');
    client.socket.write(dump + burst);
    await client.until((m) => m.filter((x) => 'return' in x || 'error' in x).length >= 52, 30_000);
    const ids = client
      .replies()
      .slice(1)
      .map((m) => m.id);
    expect(ids).toEqual(['dump', ...Array.from({ length: 50 }, (_, i) => i)]);
  });

  it('quit answers every client, closes them and stops the listener callback', async () => {
    const a = await open();
    const b = await open();
    await a.request(CAPS);
    await b.request(CAPS);
    expect(await a.request('{"execute":"quit"}')).toEqual({ return: {} });
    await a.waitClosed();
    await b.waitClosed();
    expect(b.messages.at(-1)).toHaveProperty('event', 'SHUTDOWN');
  });
});
