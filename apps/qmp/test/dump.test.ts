import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { events, harness, last, TestBackend } from './helpers.js';

const CAPS = '{"execute":"qmp_capabilities"}';
const GUEST_BYTES = (640 << 10) + (16 << 20);
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmcore-qmp-dump-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function dumpCmd(args: Record<string, unknown>, id?: number): string {
  return JSON.stringify({ execute: 'dump-guest-memory', arguments: { paging: false, ...args }, ...(id !== undefined ? { id } : {}) });
}

/** Message kinds in order: event names, "return" or "error:<desc>". */
function kinds(messages: Record<string, unknown>[]): string[] {
  return messages.map((m) =>
    'event' in m ? (m.event as string) : 'return' in m ? 'return' : `error:${(m.error as { desc: string }).desc}`,
  );
}

describe('dump-guest-memory: synchronous', () => {
  it('pauses a running VM, reports DUMP_COMPLETED, resumes, then answers (QEMU 7.2 order); file mode 0400', async () => {
    const h = harness();
    const c = h.connect();
    await c.send(CAPS);
    const start = c.transport.lines.length;
    const out = join(dir, 'x.elf');
    const messages = (await c.send(dumpCmd({ protocol: `file:${out}` }))).slice(start);
    expect(kinds(messages)).toEqual(['STOP', 'DUMP_COMPLETED', 'RESUME', 'return']);
    expect(messages[1]!.data).toEqual({ result: { total: GUEST_BYTES, status: 'completed', completed: GUEST_BYTES } });
    expect(statSync(out).mode & 0o777).toBe(0o400);
    expect(statSync(out).size).toBe(64 + GUEST_BYTES);
    expect(last(await c.send('{"execute":"query-dump"}'))).toEqual({
      return: { total: GUEST_BYTES, status: 'completed', completed: GUEST_BYTES },
    });
  });

  it('leaves a paused VM paused: no STOP/RESUME', async () => {
    const h = harness({ paused: true });
    const c = h.connect();
    await c.send(CAPS);
    const start = c.transport.lines.length;
    const messages = (await c.send(dumpCmd({ protocol: `file:${join(dir, 'p.elf')}`, begin: 1 << 20, length: 4096 }))).slice(start);
    expect(kinds(messages)).toEqual(['DUMP_COMPLETED', 'return']);
    expect(messages[0]!.data).toEqual({ result: { total: 4096, status: 'completed', completed: 4096 } });
  });

  it.each([
    [{ begin: 0, length: 0 }, "Invalid parameter 'length'"],
    [{ begin: -4096, length: 8192 }, "Invalid parameter 'begin'"],
    [{ begin: 0xa0000, length: 4096 }, 'dump: no guest memory to dump'],
    [{ begin: 999_999_999_999, length: 4096 }, 'dump: no guest memory to dump'],
  ])('fails dump_init checks %o with STOP/RESUME around "%s", no DUMP_COMPLETED, status failed', async (filter, desc) => {
    const h = harness();
    const c = h.connect();
    await c.send(CAPS);
    const start = c.transport.lines.length;
    const out = join(dir, 'f.elf');
    const messages = (await c.send(dumpCmd({ protocol: `file:${out}`, ...filter }))).slice(start);
    expect(kinds(messages)).toEqual(['STOP', 'RESUME', `error:${desc}`]);
    expect(existsSync(out)).toBe(true); // QEMU opens the file before dump_init
    expect(h.monitor.job.query()).toEqual({ total: 0, status: 'failed', completed: 0 });
  });

  it('follows QEMU 7.2 on negative lengths (measured): 1 MiB + -5 selects nothing, 0 + -1 is the whole guest', async () => {
    const h = harness({ paused: true });
    const c = h.connect();
    await c.send(CAPS);
    expect(last(await c.send(dumpCmd({ protocol: `file:${join(dir, 'n.elf')}`, begin: 1 << 20, length: -5 })))).toEqual({
      error: { class: 'GenericError', desc: 'dump: no guest memory to dump' },
    });
    await c.send(dumpCmd({ protocol: `file:${join(dir, 'all.elf')}`, begin: 0, length: -1 }));
    expect(h.monitor.job.query()).toEqual({ total: GUEST_BYTES, status: 'completed', completed: GUEST_BYTES });
  });

  it('reports a write failure with QEMU\'s stage text: /dev/full → "failed to write elf header: No space left on device"', async () => {
    const h = harness();
    const c = h.connect();
    await c.send(CAPS);
    const start = c.transport.lines.length;
    const messages = (await c.send(dumpCmd({ protocol: 'file:/dev/full' }))).slice(start);
    const desc = 'dump: failed to write elf header: No space left on device';
    expect(kinds(messages)).toEqual(['STOP', 'DUMP_COMPLETED', 'RESUME', `error:${desc}`]);
    expect(messages[1]!.data).toEqual({ result: { total: GUEST_BYTES, status: 'failed', completed: 0 }, error: desc });
  });

  it('refuses kdump-raw on a descriptor that cannot seek (a FIFO) and consumes the descriptor', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, fsc.O_RDWR);
    const h = harness();
    const c = h.connect();
    await c.send(CAPS);
    c.transport.fds.push(fd);
    expect(last(await c.send('{"execute":"getfd","arguments":{"fdname":"p"}}'))).toEqual({ return: {} });
    expect(last(await c.send(dumpCmd({ protocol: 'fd:p', format: 'kdump-raw-zlib' })))).toEqual({
      error: { class: 'GenericError', desc: 'kdump-raw formats require a seekable file' },
    });
    expect(last(await c.send(dumpCmd({ protocol: 'fd:p' })))).toEqual({
      error: { class: 'GenericError', desc: "File descriptor named 'p' has not been found" },
    });
    expect(() => closeSync(fd)).toThrow(/EBADF/);
  });
});

describe('dump-guest-memory: detached', () => {
  it('answers at once, reports growing progress while other commands keep working, then DUMP_COMPLETED and RESUME', async () => {
    const backend = new TestBackend({ chunk: 256 << 10, delayMs: 15 });
    const h = harness({ backend });
    const c = h.connect();
    const other = h.connect();
    await c.send(CAPS);
    await other.send(CAPS);
    const start = c.transport.lines.length;
    const out = join(dir, 'd.kdump');
    const reply = (await c.send(dumpCmd({ protocol: `file:${out}`, format: 'kdump-zlib', detach: true }, 1))).slice(start);
    expect(kinds(reply)).toEqual(['STOP', 'return']);

    const seen: number[] = [];
    for (let i = 0; i < 200 && h.monitor.job.active; i++) {
      const status = last(await other.send('{"execute":"query-dump"}')).return as { status: string; completed: number; total: number };
      if (status.status === 'active') seen.push(status.completed);
      expect(status.total).toBe(GUEST_BYTES);
      if (seen.length === 3) {
        const busy = 'There is a dump in process, please wait.';
        expect(last(await other.send('{"execute":"cont"}'))).toEqual({ error: { class: 'GenericError', desc: busy } });
        expect(last(await other.send('{"execute":"stop"}'))).toEqual({ error: { class: 'GenericError', desc: busy } });
        expect(last(await other.send(dumpCmd({ protocol: `file:${join(dir, 'second')}` })))).toEqual({
          error: { class: 'GenericError', desc: busy },
        });
        expect(existsSync(join(dir, 'second'))).toBe(false);
        expect(last(await other.send('{"execute":"query-status"}'))).toEqual({
          return: { status: 'save-vm', singlestep: false, running: false },
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await h.monitor.job.settled();
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.some((value, i) => i > 0 && value > seen[i - 1]!)).toBe(true);
    expect(kinds(c.transport.messages().slice(start))).toEqual(['STOP', 'return', 'DUMP_COMPLETED', 'RESUME']);
    expect(events(other.transport.messages())).toEqual(['STOP', 'DUMP_COMPLETED', 'RESUME']);
    expect(statSync(out).size).toBe(64 + GUEST_BYTES);
  });

  it('reports a failed detached dump only through DUMP_COMPLETED and query-dump', async () => {
    const h = harness();
    const c = h.connect();
    await c.send(CAPS);
    const start = c.transport.lines.length;
    await c.send(dumpCmd({ protocol: 'file:/dev/full', detach: true }));
    await h.monitor.job.settled();
    const messages = c.transport.messages().slice(start);
    expect(kinds(messages)).toEqual(['STOP', 'return', 'DUMP_COMPLETED', 'RESUME']);
    expect(messages[2]!.data).toEqual({
      result: { total: GUEST_BYTES, status: 'failed', completed: 0 },
      error: 'dump: failed to write elf header: No space left on device',
    });
    expect(last(await c.send('{"execute":"query-dump"}'))).toEqual({ return: { total: GUEST_BYTES, status: 'failed', completed: 0 } });
  });
});

describe('flow control', () => {
  it('stops reading once 8 requests wait behind a synchronous dump and resumes when they drain', async () => {
    const h = harness({ backend: new TestBackend({ chunk: 1 << 20, delayMs: 10 }) });
    const c = h.connect();
    await c.send(CAPS);
    const burst = dumpCmd({ protocol: `file:${join(dir, 'slow.elf')}` }) + '{"execute":"query-status"}'.repeat(20);
    const messages = await c.send(burst);
    expect(c.transport.pauses).toBe(1);
    expect(c.transport.resumes).toBe(1);
    expect(messages.filter((m) => 'return' in m)).toHaveLength(1 + 1 + 20);
  });
});

describe('query-dump and capabilities', () => {
  it("starts at status none and lists win-dmp only when the guest's Windows header is present", async () => {
    const plain = harness().connect();
    await plain.send(CAPS);
    expect(last(await plain.send('{"execute":"query-dump"}'))).toEqual({ return: { total: 0, status: 'none', completed: 0 } });
    expect(last(await plain.send('{"execute":"query-dump-guest-memory-capability"}'))).toEqual({
      return: { formats: ['elf', 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'kdump-raw-zlib', 'kdump-raw-lzo', 'kdump-raw-snappy'] },
    });
    const windows = harness({ backend: new TestBackend({ winHeader: true }) }).connect();
    await windows.send(CAPS);
    expect(
      (last(await windows.send('{"execute":"query-dump-guest-memory-capability"}')).return as { formats: string[] }).formats,
    ).toContain('win-dmp');
  });
});

describe('getfd / closefd', () => {
  it("answers QEMU's texts for a missing descriptor, a digit name and an unknown closefd", async () => {
    const h = harness();
    const c = h.connect();
    await c.send(CAPS);
    expect(last(await c.send('{"execute":"getfd","arguments":{"fdname":"x"}}'))).toEqual({
      error: { class: 'GenericError', desc: 'No file descriptor supplied via SCM_RIGHTS' },
    });
    c.transport.fds.push(openSync('/dev/null', 'w'));
    expect(last(await c.send('{"execute":"getfd","arguments":{"fdname":"1x"}}'))).toEqual({
      error: { class: 'GenericError', desc: "Parameter 'fdname' expects a name not starting with a digit" },
    });
    expect(last(await c.send('{"execute":"closefd","arguments":{"fdname":"x"}}'))).toEqual({
      error: { class: 'GenericError', desc: "File descriptor named 'x' not found" },
    });
    const fd = openSync('/dev/null', 'w');
    c.transport.fds.push(fd);
    await c.send('{"execute":"getfd","arguments":{"fdname":"n"}}');
    expect(last(await c.send('{"execute":"closefd","arguments":{"fdname":"n"}}'))).toEqual({ return: {} });
    expect(() => closeSync(fd)).toThrow(/EBADF/);
  });
});

describe('real backend (@vmcore/dump) behind the seam', () => {
  it('writes an ELF of a synthetic guest over QMP that @vmcore/dump reads back', async () => {
    const { syntheticGuest } = await import('@vmcore/test-support');
    const { openGuest } = await import('@vmcore/dump/node');
    const { guestBackend } = await import('../src/index.js');
    const guest = syntheticGuest({ ramMiB: 3 });
    const backend = guestBackend(guest);
    const { QmpMonitor, QmpSession } = await import('../src/index.js');
    const monitor = new QmpMonitor({ backend });
    const { MemoryTransport } = await import('./helpers.js');
    const transport = new MemoryTransport();
    const session = new QmpSession(monitor, transport);
    monitor.addSession(session);
    const send = async (text: string) => {
      session.receive(new TextEncoder().encode(text));
      await session.idle();
      return transport.messages();
    };
    await send(CAPS);
    const out = join(dir, 'real.elf');
    const messages = await send(dumpCmd({ protocol: `file:${out}` }));
    expect(last(messages)).toEqual({ return: {} });
    const total = guest.blocks.reduce((sum, b) => sum + b.size, 0);
    expect(monitor.job.query()).toEqual({ total, status: 'completed', completed: total });
    const back = await openGuest(out);
    expect(back.blocks.map((b) => [b.start, b.size])).toEqual(guest.blocks.map((b) => [b.start, b.size]));
    const at = guest.blocks[1]!.start + 4096;
    expect(Buffer.from(await back.read(at, 8192)).equals(Buffer.from(await guest.read(at, 8192)))).toBe(true);
    await back.close();
    expect(readFileSync(out).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    await monitor.close();
  });
});
