import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpGuest } from '@vmcore/dump/node';
import { syntheticGuest } from '@vmcore/test-support';
import { LineClient } from './client.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');
let dir: string;
let guestFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmcore-qmp-bin-'));
  guestFile = join(dir, 'guest.elf');
  await dumpGuest(syntheticGuest({ ramMiB: 3 }), 'elf', guestFile);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('vmcore-qmp (dist/main.js)', () => {
  it('serves --guest on --socket and --tcp, and exits 0 after quit', async () => {
    const socket = join(dir, 'qmp.sock');
    const child = spawn(process.execPath, [MAIN, '--guest', guestFile, '--socket', socket, '--tcp', '127.0.0.1:0'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let banner = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        banner += chunk.toString();
        if (banner.includes('\n')) resolve();
      });
      child.on('exit', () => reject(new Error(`exited early: ${banner}`)));
    });
    expect(banner).toMatch(/^vmcore-qmp: serving .*guest\.elf on unix:.*qmp\.sock tcp:127\.0\.0\.1:\d+\n$/);
    const port = Number(/tcp:127\.0\.0\.1:(\d+)/.exec(banner)![1]);
    const tcp = await LineClient.open({ port, host: '127.0.0.1' });
    await tcp.until((m) => m.length >= 1);
    const client = await LineClient.open({ path: socket });
    await client.until((m) => m.length >= 1);
    expect(await client.request('{"execute":"qmp_capabilities"}')).toEqual({ return: {} });
    expect(await client.request('{"execute":"query-dump-guest-memory-capability"}')).toHaveProperty('return.formats', [
      'elf',
      'kdump-zlib',
      'kdump-lzo',
      'kdump-snappy',
      'kdump-raw-zlib',
      'kdump-raw-lzo',
      'kdump-raw-snappy',
    ]);
    expect(await client.request('{"execute":"quit"}')).toEqual({ return: {} });
    expect(await exited).toBe(0);
    tcp.close();
    client.close();
  });

  it.each([
    [
      ['--guest', '/nonexistent/guest.elf', '--socket', '/tmp/x.sock'],
      'vmcore-qmp: guest file /nonexistent/guest.elf does not exist (give --guest FILE)',
    ],
    [['--guest', '/dev/null'], 'vmcore-qmp: give --socket PATH and/or --tcp 127.0.0.1:PORT'],
    [['--tcp', '0.0.0.0:4444'], "vmcore-qmp: --tcp expects a loopback HOST:PORT such as 127.0.0.1:4444, got '0.0.0.0:4444'"],
  ])('refuses %j with one line and exit 1', (args, message) => {
    const run = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`${message}\n`);
  });
});
