import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSink, FileSource } from '@vmcore/bytes/node';
import { decodeX86CpuNote, x86DumpInfo, type Filter } from '@vmcore/guest-mem';
import { openElfGuest, readElfCore, writeElfCore, type ElfCore } from '../src/index.js';

/**
 * A real QEMU guest stopped before its first instruction (-S): the CPUs are in real mode, so
 * QEMU dumps EM_386 notes; the VGA device leaves 0xa0000-0xc0000 out of RAM, a real hole.
 */
const FILTERS: Array<Filter & { tag: string }> = [
  { begin: 0x90000, length: 0x80000, tag: 'across-hole' },
  { begin: 0xb0000, length: 0x20000, tag: 'begin-in-hole' },
  { begin: 0x12345, length: 0x6789a, tag: 'unaligned' },
];

let tmp: string;
let qemu: ChildProcess | undefined;
const qemuErrors = new Map<string, string>();

class Qmp {
  private buffer = '';
  private waiters: Array<(msg: Record<string, unknown>) => void> = [];
  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      this.buffer += data;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) continue;
        this.waiters.shift()?.(msg);
      }
    });
  }
  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  async execute(command: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = this.next();
    this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) })}\n`);
    return reply;
  }
}

async function connectWhenReady(path: string): Promise<Socket> {
  for (let i = 0; i < 200; i++) {
    if (existsSync(path)) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(path, () => resolve(s));
        s.once('error', () => resolve(undefined));
      });
      if (socket) return socket;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`QMP socket ${path} did not appear`);
}

const file = (name: string) => join(tmp, name);

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vmcore-realmode-'));
  const sock = file('qmp.sock');
  qemu = spawn(
    'qemu-system-x86_64',
    [
      '-S',
      '-m',
      '64',
      '-smp',
      '2',
      '-display',
      'none',
      '-nodefaults',
      '-device',
      'VGA',
      '-machine',
      'pc,accel=tcg',
      '-qmp',
      `unix:${sock},server=on,wait=off`,
    ],
    { stdio: 'ignore' },
  );
  const socket = await connectWhenReady(sock);
  const qmp = new Qmp(socket);
  const greeting = qmp.next();
  await greeting;
  await qmp.execute('qmp_capabilities');
  const dumps: Array<[string, Record<string, unknown>]> = [
    ['full.elf', {}],
    ...FILTERS.map((f): [string, Record<string, unknown>] => [`${f.tag}.elf`, { begin: f.begin, length: f.length }]),
    ['in-hole.elf', { begin: 0xa8000, length: 0x1000 }],
  ];
  for (const [name, extra] of dumps) {
    const reply = await qmp.execute('dump-guest-memory', { paging: false, protocol: `file:${file(name)}`, ...extra });
    if ('error' in reply) qemuErrors.set(name, (reply['error'] as { desc: string }).desc);
  }
  await qmp.execute('quit');
  socket.destroy();
}, 120_000);

afterAll(() => {
  if (qemu && qemu.exitCode === null) qemu.kill();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function core(path: string): Promise<ElfCore> {
  const source = await FileSource.open(path);
  try {
    return await readElfCore(source);
  } finally {
    await source.close();
  }
}

async function rewrite(from: string, to: string, filter?: Filter): Promise<void> {
  const guest = await openElfGuest(await FileSource.open(from));
  const sink = await FileSink.create(to);
  try {
    await writeElfCore(guest, sink, filter ? { filter } : {});
    await sink.commit();
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    await guest.close();
  }
}

async function sameFrom(a: string, b: string, from: number): Promise<boolean> {
  const [fa, fb] = [await FileSource.open(a), await FileSource.open(b)];
  try {
    if (fa.size !== fb.size) return false;
    for (let at = from; at < fa.size; at += 4 << 20) {
      if (!Buffer.from(await fa.read(at, 4 << 20)).equals(Buffer.from(await fb.read(at, 4 << 20)))) return false;
    }
    return true;
  } finally {
    await fa.close();
    await fb.close();
  }
}

const phdrs = (c: ElfCore) => c.programHeaders.map(({ index: _i, ...ph }) => ph);

describe('QEMU 7.2 dump of a guest in real mode with a VGA hole', () => {
  it('is EM_386 but ELFCLASS64 because pc.bios ends at 4 GiB, as x86DumpInfo says', async () => {
    expect(qemuErrors.get('full.elf')).toBeUndefined();
    const guest = await openElfGuest(await FileSource.open(file('full.elf')));
    try {
      expect(guest.info).toMatchObject({ machine: 3, elfClass: 64, arch: 'i386' });
      expect(x86DumpInfo({ longMode: false, blocks: guest.blocks })).toMatchObject({ machine: 3, elfClass: 64 });
      expect(guest.blocks.some((b) => b.start <= 0xa0000 && b.start + b.size > 0xa0000)).toBe(false);
    } finally {
      await guest.close();
    }
  });

  it('has i386 prstatus notes (pid = cpu_index + 1) and QEMUCPUState notes at the reset vector', async () => {
    const c = await core(file('full.elf'));
    const decoded = c.notes.map((n) => decodeX86CpuNote(n, c.info.endian));
    expect(decoded.map((d) => d.kind)).toEqual(['i386-prstatus', 'i386-prstatus', 'qemu-cpu-state', 'qemu-cpu-state']);
    expect(decoded.map((d) => (d.kind === 'i386-prstatus' ? d.value.pid : undefined)).slice(0, 2)).toEqual([1, 2]);
    const state = decoded[2]!;
    if (state.kind !== 'qemu-cpu-state') throw new Error('expected a QEMU note');
    expect(state.value).toMatchObject({ version: 1, size: 440, regs: { rip: 0xfff0n } });
    expect(state.value.segments.cs).toMatchObject({ selector: 0xf000, base: 0xffff0000n });
    const first = decoded[0]!;
    if (first.kind !== 'i386-prstatus') throw new Error('expected a CORE note');
    expect(first.value.regs).toMatchObject({ eip: 0xfff0, cs: 0xf000 });
  });

  it('is reproduced: same program headers and every byte from the notes on', async () => {
    await rewrite(file('full.elf'), file('ours-full.elf'));
    const [q, o] = [await core(file('full.elf')), await core(file('ours-full.elf'))];
    expect(phdrs(o)).toEqual(phdrs(q));
    expect(await sameFrom(file('full.elf'), file('ours-full.elf'), Number(q.programHeaders[0]!.offset))).toBe(true);
  });

  it.each(FILTERS)("matches QEMU's filtered dump $tag", async (filter) => {
    expect(qemuErrors.get(`${filter.tag}.elf`)).toBeUndefined();
    const ours = file(`ours-${filter.tag}.elf`);
    await rewrite(file('full.elf'), ours, filter);
    const [q, o] = [await core(file(`${filter.tag}.elf`)), await core(ours)];
    expect(phdrs(o)).toEqual(phdrs(q));
    expect(await sameFrom(file(`${filter.tag}.elf`), ours, Number(q.programHeaders[0]!.offset))).toBe(true);
  });

  it("refuses a filter inside the hole with QEMU's message", async () => {
    expect(qemuErrors.get('in-hole.elf')).toBe('dump: no guest memory to dump');
    await expect(rewrite(file('full.elf'), file('ours-in-hole.elf'), { begin: 0xa8000, length: 0x1000 })).rejects.toThrow(
      'dump: no guest memory to dump',
    );
  });
});
