import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Prng } from './prng.js';

/** One thing a client does to the server: bytes on one or more connections, then hang up. */
export interface QmpCase {
  readonly name: string;
  /** Writes on connection i; every connection opens first, writes go out in order. */
  readonly writes: readonly { readonly conn: number; readonly bytes: Uint8Array }[];
  /** Connections close abruptly (destroy) right after the last write, without waiting for replies. */
  readonly abrupt?: boolean;
  /** How long to keep connections open for replies (ms). */
  readonly linger?: number;
}

export interface QmpReport {
  readonly cases: number;
  /** Cases after which the server had exited (each case that killed it is saved in `saved`). */
  readonly crashes: number;
  /** Cases after which a new client got the greeting and an answer to qmp_capabilities (within 20 s). */
  readonly aliveAfter: number;
  readonly failures: string[];
  readonly saved: string[];
}

const enc = (text: string) => new TextEncoder().encode(text);
const CAPS = '{"execute":"qmp_capabilities"}\n';
const COMMANDS = [
  'qmp_capabilities',
  'query-dump',
  'query-dump-guest-memory-capability',
  'query-status',
  'stop',
  'cont',
  'dump-guest-memory',
  'query-version',
  'query-commands',
  'getfd',
  'closefd',
  'add-fd',
  'remove-fd',
  'query-fdsets',
  'x-nonexistent',
];

/** Random JSON from a small grammar, with QMP-shaped objects most of the time. */
function jsonValue(rng: Prng, depth: number): string {
  const choice = depth > 4 ? rng.int(4) : rng.int(8);
  switch (choice) {
    case 0:
      return String(rng.pick([0, -1, 1e308, -0, 2 ** 64, 0.5, '123456789012345678901234567890']));
    case 1:
      return JSON.stringify(rng.pick(['', 'file:/dev/null', 'fd:x', '\u0000', '\ud800', 'a'.repeat(rng.int(300)), 'elf', 'kdump-zlib']));
    case 2:
      return rng.pick(['true', 'false', 'null']);
    case 3:
      return `"${'\\u'}${rng.int(0xffff).toString(16).padStart(4, '0')}"`;
    case 4:
      return `[${Array.from({ length: rng.int(4) }, () => jsonValue(rng, depth + 1)).join(',')}]`;
    default: {
      const keys = ['execute', 'arguments', 'id', 'protocol', 'paging', 'format', 'begin', 'length', 'detach', 'fdname', 'exec-oob', 'x'];
      const fields = Array.from(
        { length: rng.int(5) },
        () => `${JSON.stringify(rng.pick(keys))}:${rng.int(3) === 0 ? JSON.stringify(rng.pick(COMMANDS)) : jsonValue(rng, depth + 1)}`,
      );
      return `{${fields.join(',')}}`;
    }
  }
}

/** The fixed hostile cases (issue 10's QMP findings among them) and `random` generated ones. */
export function qmpCases(seed: number, random: number, dumpDir: string): QmpCase[] {
  const rng = new Prng(seed);
  const one = (name: string, text: string | Uint8Array, extra: Partial<QmpCase> = {}): QmpCase => ({
    name,
    writes: [{ conn: 0, bytes: typeof text === 'string' ? enc(text) : text }],
    ...extra,
  });
  const big = 200_000;
  const cases: QmpCase[] = [
    one('huge-string-before-caps', `{"execute":"${'a'.repeat(big)}"}\n`),
    one('huge-string-after-caps', `${CAPS}{"execute":"query-status","arguments":{"x":"${'b'.repeat(big)}"}}\n`),
    one('huge-number', `${CAPS}{"execute":"query-status","id":${'9'.repeat(big)}}\n`),
    one('huge-number-tcp-style', `${'1'.repeat(big)} `),
    one('deep-array', `${CAPS}${'['.repeat(100_000)}`),
    one('deep-object', `${CAPS}${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}\n`),
    one('unclosed-string', `${CAPS}{"execute":"${'x'.repeat(5000)}`, { abrupt: true }),
    one('invalid-utf8', new Uint8Array([...enc(CAPS), ...enc('{"execute":"'), 0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, ...enc('"}\n')])),
    one('invalid-utf8-key', new Uint8Array([...enc('{"'), 0xf8, 0x88, 0x80, 0x80, 0x80, ...enc('":1}\n')])),
    one('nul-bytes', new Uint8Array(4096)),
    one('over-message-cap', `{"execute":"qmp_capabilities","x":"${'c'.repeat(1_200_000)}"}\n`),
    one('half-message-then-hangup', `${CAPS}{"execute":"query-dump-guest-memory-capab`, { abrupt: true }),
    one(
      'dump-then-hangup',
      `${CAPS}{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:${join(dumpDir, 'hangup.elf')}"}}\n`,
      { abrupt: true },
    ),
    one(
      'detached-dump-then-hangup',
      `${CAPS}{"execute":"dump-guest-memory","arguments":{"paging":false,"detach":true,"format":"kdump-zlib","protocol":"file:${join(dumpDir, 'detached.kdump')}"}}\n`,
      { abrupt: true },
    ),
    one(
      'bad-dump-arguments',
      `${CAPS}{"execute":"dump-guest-memory","arguments":{"paging":"yes","protocol":7,"begin":-1,"length":1e400}}\n`,
    ),
    {
      name: 'concurrent-dumps',
      writes: [
        { conn: 0, bytes: enc(CAPS) },
        { conn: 1, bytes: enc(CAPS) },
        {
          conn: 0,
          bytes: enc(
            `{"execute":"dump-guest-memory","arguments":{"paging":false,"format":"kdump-raw-lzo","protocol":"file:${join(dumpDir, 'a.kdump')}"}}\n`,
          ),
        },
        {
          conn: 1,
          bytes: enc(
            `{"execute":"dump-guest-memory","arguments":{"paging":false,"format":"kdump-raw-lzo","protocol":"file:${join(dumpDir, 'b.kdump')}"}}\n`,
          ),
        },
      ],
      linger: 4000,
    },
    {
      name: 'many-clients-at-once',
      writes: Array.from({ length: 12 }, (_, conn) => ({ conn, bytes: enc(`${CAPS}{"execute":"query-dump"}\n`) })),
      abrupt: true,
    },
  ];
  for (let i = 0; i < random; i++) {
    const kind = rng.int(3);
    if (kind === 0) {
      cases.push(
        one(
          `random-bytes-${i}`,
          Uint8Array.from({ length: 1 + rng.int(4096) }, () => rng.int(256)),
          { abrupt: rng.int(2) === 0 },
        ),
      );
    } else {
      const messages = Array.from({ length: 1 + rng.int(5) }, () => jsonValue(rng, 0)).join(kind === 1 ? '\n' : '');
      cases.push(one(`grammar-json-${i}`, `${rng.int(2) ? CAPS : ''}${messages}\n`, { abrupt: rng.int(3) === 0 }));
    }
  }
  return cases;
}

function connectTo(socket: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(socket, () => resolve(s));
    s.once('error', reject);
  });
}

async function play(socket: string, c: QmpCase): Promise<void> {
  const conns = new Map<number, Socket>();
  for (const w of c.writes) if (!conns.has(w.conn)) conns.set(w.conn, await connectTo(socket));
  for (const s of conns.values()) {
    s.on('error', () => undefined);
    s.on('data', () => undefined);
  }
  for (const w of c.writes) conns.get(w.conn)!.write(w.bytes);
  if (!c.abrupt) await new Promise((r) => setTimeout(r, c.linger ?? 150));
  for (const s of conns.values()) s.destroy();
}

/** A new client gets the greeting and `{"return": {}}` for qmp_capabilities within `ms`. */
async function answers(socket: string, ms: number): Promise<boolean> {
  let s: Socket | undefined;
  try {
    s = await connectTo(socket);
    const client = s;
    return await new Promise<boolean>((resolve) => {
      let text = '';
      let sent = false;
      const timer = setTimeout(() => resolve(false), ms);
      client.on('error', () => resolve(false));
      client.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (!sent && text.includes('"QMP"')) {
          sent = true;
          client.write(CAPS);
        }
        if (sent && /"return":\s*\{\s*\}/.test(text)) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
  } catch {
    return false;
  } finally {
    s?.destroy();
  }
}

/** Runs every case against one `vmcore-qmp` (restarted when a case kills it) and checks it answers after each. */
export async function fuzzQmp(
  qmpMain: string,
  guest: string,
  work: string,
  cases: readonly QmpCase[],
  saveDir: string,
): Promise<QmpReport> {
  const socket = join(work, 'qmp.sock');
  const dumpDir = join(work, 'dumps');
  await mkdir(dumpDir, { recursive: true });
  let server: ChildProcess | undefined;
  let serverErr = '';
  const start = async () => {
    await rm(socket, { force: true });
    serverErr = '';
    server = spawn(process.execPath, [qmpMain, '--guest', guest, '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
    server.stderr!.on('data', (c: Buffer) => (serverErr += c.toString()));
    for (let i = 0; i < 200; i++) {
      if (await answers(socket, 2000)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`vmcore-qmp did not start: ${serverErr}`);
  };
  await start();
  let crashes = 0;
  let aliveAfter = 0;
  const failures: string[] = [];
  const saved: string[] = [];
  try {
    for (const c of cases) {
      await play(socket, c).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
      const exited = server!.exitCode !== null || server!.signalCode !== null;
      const alive = !exited && (await answers(socket, 20_000));
      if (alive) {
        aliveAfter++;
      } else {
        crashes += exited ? 1 : 0;
        failures.push(
          `${c.name}: server ${exited ? `exited (${server!.exitCode ?? server!.signalCode}): ${serverErr.split('\n').find((l) => /Error/.test(l)) ?? serverErr.slice(0, 200)}` : 'stopped answering new clients'}`,
        );
        await mkdir(saveDir, { recursive: true });
        const file = join(saveDir, `${c.name}.json`);
        await writeFile(
          file,
          `${JSON.stringify({ name: c.name, abrupt: c.abrupt ?? false, writes: c.writes.map((w) => ({ conn: w.conn, base64: Buffer.from(w.bytes).toString('base64') })) })}\n`,
        );
        saved.push(file);
        server!.kill('SIGKILL');
        await start();
      }
      // Dumps the cases started are not the subject here: keep the disk clean.
      for (const name of await readdir(dumpDir)) await rm(join(dumpDir, name), { force: true });
    }
  } finally {
    server?.kill('SIGKILL');
  }
  return { cases: cases.length, crashes, aliveAfter, failures, saved };
}

/** Corpus entries saved by fuzzQmp, as cases again. */
export function caseFromJson(text: string): QmpCase {
  const data = JSON.parse(text) as { name: string; abrupt?: boolean; writes: { conn: number; base64: string }[] };
  return {
    name: `corpus:${data.name}`,
    abrupt: data.abrupt ?? false,
    writes: data.writes.map((w) => ({ conn: w.conn, bytes: new Uint8Array(Buffer.from(w.base64, 'base64')) })),
  };
}
