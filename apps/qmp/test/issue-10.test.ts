/**
 * Regression tests for the QMP defects of issue 10 (each failed on the code before the fix):
 * item 1 (a ~125 kB token killed the process), item 7 (two concurrent dumps both accepted),
 * item 8 (`file:` at the served guest truncated it), and the minor ones: quit during a dump,
 * the socket's mode under umask 000, stale and live socket paths, SIGTERM's exit status.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dumpGuest } from '@vmcore/dump/node';
import { syntheticGuest } from '@vmcore/test-support';
import { openGuestBackend, QmpServer } from '../src/index.js';
import { LineClient } from './client.js';
import { TestBackend } from './helpers.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
const CAPS = '{"execute":"qmp_capabilities"}';
let dir: string;
let guestFile: string;
const servers: QmpServer[] = [];
const clients: LineClient[] = [];

async function client(options: { path: string } | { port: number; host: string }): Promise<LineClient> {
  const c = await LineClient.open(options);
  clients.push(c);
  await c.until((m) => m.length >= 1);
  return c;
}

async function serve(options: Partial<Parameters<typeof QmpServer.listen>[0]> = {}): Promise<QmpServer> {
  const server = await QmpServer.listen({
    backend: new TestBackend({ chunk: 256 << 10, delayMs: 20 }),
    socket: join(dir, `s${servers.length}.sock`),
    tcpPort: 0,
    ...options,
  });
  servers.push(server);
  return server;
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmcore-qmp-issue10-'));
  guestFile = join(dir, 'guest.elf');
  await dumpGuest(syntheticGuest({ ramMiB: 3 }), 'elf', guestFile);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('issue 10 item 1: a huge token does not kill the server', () => {
  it.each(['string', 'number'])('answers a 130 kB %s token over TCP and keeps serving', async (kind) => {
    const server = await serve();
    const tcp = await client({ port: server.tcpAddress!.port, host: '127.0.0.1' });
    // The number underflows to 0, which the reply echoes as QEMU would ("%.17g").
    const token = kind === 'string' ? `"${'a'.repeat(130_000)}"` : `0.${'0'.repeat(130_000)}1`;
    expect(await tcp.request(`{"execute":"qmp_capabilities","id":${token}}`)).toHaveProperty('return', {});
    expect(await tcp.request('{"execute":"query-status"}')).toHaveProperty('return.status', 'running');
    const other = await client({ path: join(dir, 's0.sock') });
    expect(await other.request(CAPS)).toEqual({ return: {} });
  });

  it("parses a 2 MiB request (QEMU's limit is 64 MiB per token)", async () => {
    const server = await serve();
    const c = await client({ port: server.tcpAddress!.port, host: '127.0.0.1' });
    await c.request(CAPS);
    expect(await c.request(`{"execute":"query-status","arguments":{"x":"${'x'.repeat(2 << 20)}"}}`)).toEqual({
      error: { class: 'GenericError', desc: "Parameter 'x' is unexpected" },
    });
  });
});

describe('issue 10 item 7: dumps are exclusive from the moment one is accepted', () => {
  it('accepts one of two dump-guest-memory sent at the same moment and refuses the other as QEMU', async () => {
    await serve();
    const a = await client({ path: join(dir, 's0.sock') });
    const b = await client({ path: join(dir, 's0.sock') });
    await a.request(CAPS);
    await b.request(CAPS);
    const dump = (file: string) =>
      `{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:${join(dir, file)}","detach":true}}`;
    const [ra, rb] = await Promise.all([a.request(dump('a.elf')), b.request(dump('b.elf'))]);
    const replies = [ra, rb].map((r) => JSON.stringify(r)).sort();
    expect(replies).toEqual([
      JSON.stringify({ error: { class: 'GenericError', desc: 'There is a dump in process, please wait.' } }),
      JSON.stringify({ return: {} }),
    ]);
    await a.until((m) => m.some((x) => x.event === 'DUMP_COMPLETED'), 30_000);
  });
});

describe('issue 10 item 8: no dump over the served guest', () => {
  it.each(['path', 'symlink', 'fd'])('refuses file: at the guest (%s) before opening it, and the guest stays intact', async (how) => {
    const before = sha(guestFile);
    await serve({ backend: await openGuestBackend(guestFile) });
    const c = await client({ path: join(dir, 's0.sock') });
    await c.request(CAPS);
    let target = guestFile;
    if (how === 'symlink') {
      target = join(dir, `link-${Date.now()}.elf`);
      symlinkSync(guestFile, target);
    }
    if (how === 'fd') {
      // Passed with SCM_RIGHTS by a real client (python3 socket.send_fds), then used as fd:guest.
      const script = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile('rb')
def reply():
    while True:
        m = json.loads(f.readline())
        if 'return' in m or 'error' in m: return m
f.readline(); s.sendall(b'{"execute":"qmp_capabilities"}'); reply()
fd = os.open(sys.argv[2], os.O_WRONLY)
socket.send_fds(s, [b'{"execute":"getfd","arguments":{"fdname":"guest"}}'], [fd]); reply()
s.sendall(b'{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"fd:guest"}}')
print(json.dumps(reply()))`;
      // Asynchronously: the server answers from this very process.
      const run = await promisify(execFile)('/usr/bin/python3', ['-c', script, join(dir, 's0.sock'), guestFile], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(JSON.parse(run.stdout)).toEqual({
        error: { class: 'GenericError', desc: "Refusing to write the dump to descriptor 'guest': it is the guest file being served" },
      });
    } else {
      expect(await c.request(`{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:${target}"}}`)).toEqual({
        error: { class: 'GenericError', desc: `Refusing to write the dump to '${target}': it is the guest file being served` },
      });
    }
    expect(sha(guestFile)).toBe(before);
    expect(await c.request('{"execute":"query-dump"}')).toEqual({ return: { total: 0, status: 'none', completed: 0 } });
  });
});

describe('issue 10 minor items', () => {
  it('sends DUMP_COMPLETED when quit interrupts a detached dump', async () => {
    await serve({ backend: new TestBackend({ chunk: 64 << 10, delayMs: 50 }) });
    const c = await client({ path: join(dir, 's0.sock') });
    await c.request(CAPS);
    expect(
      await c.request(`{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:${join(dir, 'q.elf')}","detach":true}}`),
    ).toEqual({ return: {} });
    expect(await c.request('{"execute":"quit"}')).toEqual({ return: {} });
    await c.waitClosed(10_000);
    const completed = c.messages.find((m) => m.event === 'DUMP_COMPLETED') as
      { data: { result: { status: string }; error: string } } | undefined;
    expect(completed?.data.result.status).toBe('failed');
    expect(completed?.data.error).toBe('dump: cancelled, the server is quitting');
  });

  it('answers a client waiting on a synchronous dump when another client quits', async () => {
    await serve({ backend: new TestBackend({ chunk: 64 << 10, delayMs: 50 }) });
    const waiting = await client({ path: join(dir, 's0.sock') });
    const quitter = await client({ path: join(dir, 's0.sock') });
    await waiting.request(CAPS);
    await quitter.request(CAPS);
    const reply = waiting.request(`{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:${join(dir, 'w.elf')}"}}`);
    await waiting.until((m) => m.some((x) => x.event === 'STOP'));
    expect(await quitter.request('{"execute":"quit"}')).toEqual({ return: {} });
    expect(await reply).toEqual({ error: { class: 'GenericError', desc: 'dump: cancelled, the server is quitting' } });
    expect(waiting.messages.some((m) => m.event === 'DUMP_COMPLETED')).toBe(true);
    await waiting.waitClosed(10_000);
  });

  it('creates the UNIX socket mode 0600 under umask 000', async () => {
    const socket = join(dir, 'umask.sock');
    const child = spawn('/bin/sh', ['-c', `umask 000; exec "${process.execPath}" "${MAIN}" --guest "${guestFile}" --socket "${socket}"`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', () => resolve());
      child.on('exit', () => reject(new Error('exited early')));
    });
    try {
      expect(statSync(socket).mode & 0o777).toBe(0o600);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('replaces a stale socket path and refuses one another server listens on, with a clear message', async () => {
    const path = join(dir, 'stale.sock');
    // A socket file nobody listens on (its owner exited without unlinking it).
    spawnSync('/usr/bin/python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
    expect(statSync(path).isSocket()).toBe(true);
    await serve({ socket: path, tcpPort: undefined });
    const c = await client({ path });
    expect(await c.request(CAPS)).toEqual({ return: {} });
    await expect(QmpServer.listen({ backend: new TestBackend(), socket: path })).rejects.toThrow(
      `${path} is in use: another server is listening on it`,
    );
    expect(await c.request('{"execute":"query-status"}')).toHaveProperty('return.status', 'running');
  });

  it('exits 143 on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, '--guest', guestFile, '--socket', join(dir, 'term.sock')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) => child.stderr.once('data', () => resolve()));
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
  });
});
