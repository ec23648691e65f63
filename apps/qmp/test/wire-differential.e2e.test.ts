/**
 * Wire differential test: hostile and odd inputs sent byte for byte to real QEMU 7.2 (started
 * with `-S -machine none`, no guest needed) and to `vmcore-qmp --compat qemu-7.2 --paused`. The
 * reply lines must be byte-identical (after the greeting): JSON lexing, parsing and error texts,
 * output member order, string escaping, run state, fd set errors, compat formats. Then
 * query-commands and query-qmp-schema are compared structurally. (query-version is left out:
 * versions differ by design.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QmpServer } from '../src/index.js';
import { TestBackend } from './helpers.js';
import { QEMU_QMP_CLIENT, runQemuPython } from './qemu-python.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');
const request = (id: string) => `{"execute":"query-status","id":${id}}`;

/** Raw inputs (latin1: each char one byte). */
const INPUTS: string[] = [
  request('"a\\u0000b"'),
  request('"\\ud800"'),
  request('"\\udc00"'),
  request('"\\ud83d\\ude00"'),
  request('"\\uFFFE"'),
  request('"\\u12"'),
  request('"\\x"'),
  request('"\xff\xfe"'),
  request('"\xc3\xa9\xf0\x9f\x98\x80"'),
  request('"\xc0\x80"'),
  request('"\xed\xa0\x80"'),
  request('"\xe9"'),
  request('"\xf8\x88\x80\x80\x80"'),
  request('"a\x01b"'),
  request('"\x7f"'),
  request("'sq\"\\''"),
  request('{"b":1,"a":2,"zz":[1,{"y":1,"x":2}],"id":3,"return":4}'),
  request('[1, 1.5, -0.0, 1e400, 18446744073709551615, 9223372036854775808, -9223372036854775809, 0.1]'),
  request(`1${'0'.repeat(130_000)}`),
  request(`"${'s'.repeat(130_000)}"`),
  `{"id":${'k'.repeat(2000)}}`,
  '['.repeat(1100),
  '{'.repeat(1025),
  `{"execute":"query-status","arguments":{"x":"${'x'.repeat(300_000)}"}}`,
  '{"a" 1}',
  '{"a":1,"a":2}',
  '{1:2}',
  '[1 2]',
  '}',
  ']]',
  'tru}',
  '01',
  '-',
  '1.e5',
  '"\\u0041"',
  '[1,2]',
  '{"foo":1}',
  '{"exec-oob":"query-status"}',
  '{"execute":"query-dump-guest-memory-capability"}',
  '{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:/nonexistent/x","format":"kdump-raw-zlib"}}',
  '{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"fd:x","format":"kdump-lzo"}}',
  '{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"fd:x","format":"kdump-snappy"}}',
  '{"execute":"query-fdsets"}',
  '{"execute":"remove-fd","arguments":{"fdset-id":3}}',
  '{"execute":"remove-fd","arguments":{"fdset-id":3,"fd":5}}',
  '{"execute":"add-fd"}',
  '{"execute":"add-fd","arguments":{"fdset-id":"x"}}',
  '{"execute":"getfd","arguments":{"fdname":"x"}}',
  '{"execute":"stop"}',
  '{"execute":"query-status"}',
  '{"execute":"query-qmp-schema","arguments":{"x":1}}',
];

class RawClient {
  private buffer = '';
  private readonly lines: string[] = [];
  private waiter?: () => void;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let at: number;
      while ((at = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, at));
        this.buffer = this.buffer.slice(at + 2);
      }
      this.waiter?.();
    });
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Lines up to and including the first one containing `marker`. */
  async until(marker: string, timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.lines.findIndex((line) => line.includes(marker));
      if (at >= 0) return this.lines.splice(0, at + 1);
      if (Date.now() > deadline) throw new Error(`no '${marker}' in ${JSON.stringify(this.lines).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  send(text: string): void {
    this.socket.write(bytes(text));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Every input, each followed by 0xFF (forces QEMU's lexer and streamer back to a clean state) and a marker request. */
async function transcript(path: string): Promise<string[]> {
  const client = await RawClient.open(path);
  try {
    await client.until('"QMP"');
    client.send('{"execute":"qmp_capabilities"}');
    await client.until('"return"');
    const out: string[] = [];
    for (const [i, input] of INPUTS.entries()) {
      client.send(`${input}\xff${request(`"sync-${i}"`)}`);
      const lines = await client.until(`"sync-${i}"`);
      out.push(
        `>>> ${input.slice(0, 80)}`,
        ...lines.map((line) => (line.length > 4000 ? `${line.slice(0, 4000)}…(${line.length})` : line)),
      );
    }
    return out;
  } finally {
    client.close();
  }
}

async function execute(path: string, command: string): Promise<unknown> {
  const client = await RawClient.open(path);
  try {
    await client.until('"QMP"');
    client.send('{"execute":"qmp_capabilities"}');
    await client.until('"return"');
    client.send(`{"execute":"${command}","id":"r"}`);
    const lines = await client.until('"id": "r"');
    return (JSON.parse(lines.at(-1)!) as { return: unknown }).return;
  } finally {
    client.close();
  }
}

let work: string;
let qemu: ChildProcess | undefined;
let server: QmpServer | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'vmcore-qmp-wire-'));
  qemu = spawn(
    'qemu-system-x86_64',
    ['-S', '-display', 'none', '-nodefaults', '-machine', 'none', '-qmp', `unix:${join(work, 'qemu.sock')},server=on,wait=off`],
    {
      stdio: 'ignore',
    },
  );
  for (let i = 0; i < 200 && !existsSync(join(work, 'qemu.sock')); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  server = await QmpServer.listen({ backend: new TestBackend(), paused: true, compat: 'qemu-7.2', socket: join(work, 'ours.sock') });
}, 60_000);

afterAll(async () => {
  qemu?.kill();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('vmcore-qmp --compat qemu-7.2 against QEMU 7.2 on the wire', () => {
  it('answers every input with the same bytes as QEMU 7.2', async () => {
    const theirs = await transcript(join(work, 'qemu.sock'));
    const ours = await transcript(join(work, 'ours.sock'));
    expect(ours).toEqual(theirs);
  }, 120_000);

  it('lists in query-commands exactly the commands its schema has, all of which QEMU 7.2 has', async () => {
    const ours = ((await execute(join(work, 'ours.sock'), 'query-commands')) as { name: string }[]).map((c) => c.name).sort();
    const theirs = new Set(((await execute(join(work, 'qemu.sock'), 'query-commands')) as { name: string }[]).map((c) => c.name));
    const schema = ((await execute(join(work, 'ours.sock'), 'query-qmp-schema')) as { name: string; 'meta-type': string }[])
      .filter((e) => e['meta-type'] === 'command')
      .map((e) => e.name)
      .sort();
    expect(ours).toEqual(schema);
    expect(ours.filter((name) => !theirs.has(name))).toEqual([]);
    expect(ours).toEqual(expect.arrayContaining(['add-fd', 'remove-fd', 'query-fdsets', 'query-qmp-schema', 'dump-guest-memory']));
  });

  it("gives query-qmp-schema entries equal to QEMU 7.2's for every command and event, after mapping masked type names", async () => {
    type Entry = Record<string, unknown> & { name: string; 'meta-type': string };
    const ours = (await execute(join(work, 'ours.sock'), 'query-qmp-schema')) as Entry[];
    const theirs = (await execute(join(work, 'qemu.sock'), 'query-qmp-schema')) as Entry[];
    expect(theirs.length).toBeGreaterThan(1000);
    const byName = (list: Entry[]) => new Map(list.map((e) => [e.name, e]));
    const o = byName(ours);
    const t = byName(theirs);
    const mapping = new Map<string, string>();
    const problems: string[] = [];
    const same = (a: string, b: string, path: string): void => {
      if (mapping.has(a)) {
        if (mapping.get(a) !== b) problems.push(`${path}: ${a} maps to ${mapping.get(a)} and ${b}`);
        return;
      }
      mapping.set(a, b);
      const ea = o.get(a);
      const eb = t.get(b);
      if (!ea || !eb) return void problems.push(`${path}: missing ${a} / ${b}`);
      const keys = (e: Entry) =>
        Object.keys(e)
          .filter((k) => k !== 'name')
          .sort();
      if (JSON.stringify(keys(ea)) !== JSON.stringify(keys(eb))) return void problems.push(`${path}: keys ${keys(ea)} vs ${keys(eb)}`);
      for (const key of keys(ea)) {
        const va = ea[key];
        const vb = eb[key];
        if (key === 'arg-type' || key === 'ret-type' || key === 'element-type') same(va as string, vb as string, `${path}.${key}`);
        else if ((key === 'members' && ea['meta-type'] === 'object') || key === 'variants') {
          const ma = va as Record<string, unknown>[];
          const mb = vb as Record<string, unknown>[];
          const shape = (m: Record<string, unknown>) => JSON.stringify({ ...m, type: undefined });
          if (ma.length !== mb.length || ma.some((m, i) => shape(m) !== shape(mb[i]!)))
            problems.push(`${path}.${key}: ${JSON.stringify(ma)} vs ${JSON.stringify(mb)}`);
          else ma.forEach((m, i) => same(m.type as string, mb[i]!.type as string, `${path}.${String(m.name ?? m.case)}`));
        } else if (JSON.stringify(va) !== JSON.stringify(vb))
          problems.push(`${path}.${key}: ${JSON.stringify(va)} vs ${JSON.stringify(vb)}`);
      }
    };
    const roots = ours.filter((e) => e['meta-type'] === 'command' || e['meta-type'] === 'event');
    for (const entry of roots) same(entry.name, entry.name, entry.name);
    expect(problems).toEqual([]);
    expect(roots.map((e) => e.name)).toEqual(
      expect.arrayContaining(['dump-guest-memory', 'query-dump', 'query-dump-guest-memory-capability', 'DUMP_COMPLETED']),
    );
    // Every entry we list is reachable from a command or event and was compared.
    expect(mapping.size).toBe(ours.length);
  });

  it("gives the same replies through QEMU's own client library (qemu.qmp QMPClient)", async () => {
    const theirs = await runQemuPython([QEMU_QMP_CLIENT, 'transcript', join(work, 'qemu.sock')]);
    const ours = await runQemuPython([QEMU_QMP_CLIENT, 'transcript', join(work, 'ours.sock')]);
    expect(theirs.split('\n').length).toBeGreaterThan(20);
    expect(ours).toBe(theirs);
  }, 120_000);

  it('gives the same session through qmp-shell', async () => {
    const input =
      'query-status\ndump-guest-memory paging=false protocol=fd:x\nquery-dump-guest-memory-capability\nremove-fd fdset-id=4\nquery-fdsets\n';
    const shell = (sock: string) => runQemuPython(['-m', 'qemu.qmp.qmp_shell', sock], { input, cwd: work });
    const mask = (text: string) => text.replace(/Connected to QEMU [0-9.]+/, 'Connected to QEMU <version>');
    const theirs = mask(await shell(join(work, 'qemu.sock')));
    expect(theirs).toContain('"formats": ["elf", "kdump-zlib", "win-dmp"]');
    expect(mask(await shell(join(work, 'ours.sock')))).toBe(theirs);
  }, 120_000);

  it('keeps fd sets as QEMU 7.2 does (ids, order, removal while not running), through qemu.qmp', async () => {
    const theirs = await runQemuPython([QEMU_QMP_CLIENT, 'fdsets', join(work, 'qemu.sock'), mkdtempSync(join(work, 'fdsets-qemu-'))]);
    const ours = await runQemuPython([QEMU_QMP_CLIENT, 'fdsets', join(work, 'ours.sock'), mkdtempSync(join(work, 'fdsets-ours-'))]);
    expect(theirs).toContain('"fdset-id": 5');
    expect(ours).toBe(theirs);
  }, 120_000);
});
