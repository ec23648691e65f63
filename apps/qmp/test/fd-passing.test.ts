import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticGuest } from '@vmcore/test-support';
import { guestBackend, QmpServer, scmRights } from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const CLIENT = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/fd_client.py');
let dir: string;
let server: QmpServer;

/** Runs the Python SCM_RIGHTS client asynchronously (the server lives in this process). */
function runClient(scenario: string, out: string, format = 'elf'): Promise<{ messages: Record<string, unknown>[]; piped?: number }> {
  return new Promise((resolve, reject) => {
    import('node:child_process').then(({ execFile }) => {
      execFile(PYTHON, [CLIENT, join(dir, 'qmp.sock'), scenario, out, format], { timeout: 60_000 }, (error, stdout, stderr) => {
        if (error) return reject(new Error(`${error.message}\n${stderr}\n${stdout}`));
        const lines = stdout.trim().split('\n');
        const pipe = lines.find((line) => line.startsWith('#pipe '));
        resolve({
          messages: lines.filter((line) => !line.startsWith('#')).map((line) => JSON.parse(line) as Record<string, unknown>),
          ...(pipe ? { piped: Number(pipe.slice(6)) } : {}),
        });
      });
    }, reject);
  });
}

function replies(messages: Record<string, unknown>[]): Record<string, unknown>[] {
  return messages.filter((m) => 'return' in m || 'error' in m);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmcore-qmp-fd-'));
  server = await QmpServer.listen({ backend: guestBackend(syntheticGuest({ ramMiB: 3 })), socket: join(dir, 'qmp.sock'), paused: true });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('getfd over a UNIX socket with a real SCM_RIGHTS client (/usr/bin/python3)', () => {
  it('has the native recvmsg addon built', () => {
    expect(existsSync(PYTHON)).toBe(true);
    expect(scmRights()).not.toBeNull();
  });

  it('dumps ELF into a passed file descriptor, byte-identical to a file: dump', async () => {
    const viaFd = join(dir, 'via-fd.elf');
    const { messages } = await runClient('file', viaFd);
    expect(replies(messages)).toEqual([
      { return: {} },
      { return: {} },
      { return: {} },
      { return: expect.objectContaining({ status: 'completed' }) },
    ]);
    const client = (await import('./client.js')).LineClient;
    const c = await client.open({ path: join(dir, 'qmp.sock') });
    await c.until((m) => m.length >= 1);
    await c.request('{"execute":"qmp_capabilities"}');
    const viaFile = join(dir, 'via-file.elf');
    expect(
      await c.request(JSON.stringify({ execute: 'dump-guest-memory', arguments: { paging: false, protocol: `file:${viaFile}` } })),
    ).toEqual({ return: {} });
    c.close();
    expect(readFileSync(viaFd).equals(readFileSync(viaFile))).toBe(true);
  });

  it.each(['elf', 'kdump-zlib'])('streams %s into a passed pipe, identical to the file output', async (format) => {
    const piped = join(dir, `pipe.${format}`);
    const { messages, piped: bytes } = await runClient('pipe', piped, format);
    expect(replies(messages).slice(0, 3)).toEqual([{ return: {} }, { return: {} }, { return: {} }]);
    const viaFile = join(dir, `file.${format}`);
    const { LineClient } = await import('./client.js');
    const c = await LineClient.open({ path: join(dir, 'qmp.sock') });
    await c.until((m) => m.length >= 1);
    await c.request('{"execute":"qmp_capabilities"}');
    expect(
      await c.request(JSON.stringify({ execute: 'dump-guest-memory', arguments: { paging: false, protocol: `file:${viaFile}`, format } })),
    ).toEqual({ return: {} });
    c.close();
    expect(bytes).toBe(readFileSync(viaFile).length);
    expect(readFileSync(piped).equals(readFileSync(viaFile))).toBe(true);
    if (format === 'kdump-zlib') expect(readFileSync(piped).subarray(0, 12).toString('latin1')).toBe('makedumpfile');
  });

  it('refuses kdump-raw on a passed pipe', async () => {
    const { messages } = await runClient('pipe', join(dir, 'raw.out'), 'kdump-raw-zlib');
    expect(replies(messages)[2]).toEqual({ error: { class: 'GenericError', desc: 'kdump-raw formats require a seekable file' } });
  });

  it('fails with "dump: failed to write elf header: Broken pipe" when the pipe has no reader at all', async () => {
    const { messages } = await runClient('pipe-closed', join(dir, 'closed.out'));
    expect(replies(messages)[2]).toEqual({ error: { class: 'GenericError', desc: 'dump: failed to write elf header: Broken pipe' } });
  });

  it('fails with "dump: failed to save memory: Broken pipe" when the pipe reader quits', async () => {
    const { messages } = await runClient('pipe-quit', join(dir, 'quit.out'));
    const completed = messages.find((m) => m.event === 'DUMP_COMPLETED');
    expect(replies(messages)[2]).toEqual({ error: { class: 'GenericError', desc: 'dump: failed to save memory: Broken pipe' } });
    expect(completed?.data).toHaveProperty('error', 'dump: failed to save memory: Broken pipe');
    expect(replies(messages)[3]).toHaveProperty('return.status', 'failed');
  });
});
