import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QmpClient, QmpError, QmpLineConnection } from '../src/index.js';

const GREETING = { QMP: { version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'Debian' }, capabilities: ['oob'] } };

interface Fake {
  socket: string;
  received: string[];
  close(): void;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A QMP server that answers with `reply(message, send)`; it records every line it receives. */
function fakeServer(reply: (msg: Record<string, unknown>, send: (obj: unknown) => void) => void): Promise<Fake> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vmcore-qmp-'));
  const socket = path.join(dir, 'qmp.sock');
  const received: string[] = [];
  const conns: net.Socket[] = [];
  const server = net.createServer((c) => {
    conns.push(c);
    const send = (obj: unknown) => c.write(JSON.stringify(obj) + '\r\n');
    send(GREETING);
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        received.push(line);
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          send({ error: { class: 'GenericError', desc: 'JSON parse error' } });
          continue;
        }
        reply(msg, send);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(socket, () => {
      const close = () => {
        for (const c of conns) c.destroy();
        server.close();
        rmSync(dir, { recursive: true, force: true });
      };
      cleanups.push(close);
      resolve({ socket, received, close });
    }),
  );
}

const standard = (msg: Record<string, unknown>, send: (o: unknown) => void) => {
  const id = msg.id;
  switch (msg.execute) {
    case 'qmp_capabilities':
      return send({ return: {}, id });
    case 'dump-guest-memory':
      // QEMU emits DUMP_COMPLETED before the reply of a synchronous dump
      send({
        event: 'DUMP_COMPLETED',
        data: { result: { status: 'completed', total: 1, completed: 1 } },
        timestamp: { seconds: 1, microseconds: 2 },
      });
      return send({ return: {}, id });
    case 'human-monitor-command':
      return send({ return: `ran ${(msg.arguments as Record<string, string>)['command-line']}\r\n`, id });
    case 'slow':
      return setTimeout(() => send({ return: 'slow', id }), 50);
    default:
      return send({ error: { class: 'CommandNotFound', desc: `The command ${String(msg.execute)} has not been found` }, id });
  }
};

describe('QmpClient', () => {
  it('negotiates capabilities after the greeting', async () => {
    const fake = await fakeServer(standard);
    const qmp = await QmpClient.connect(fake.socket);
    expect(qmp.greeting.QMP.version.qemu.major).toBe(7);
    expect(JSON.parse(fake.received[0]!)).toMatchObject({ execute: 'qmp_capabilities' });
    qmp.close();
  });

  it('matches replies to commands by id when they come back out of order', async () => {
    const fake = await fakeServer(standard);
    const qmp = await QmpClient.connect(fake.socket);
    const [slow, hmp] = await Promise.all([qmp.execute('slow'), qmp.hmp('info mtree -f')]);
    expect(slow).toBe('slow');
    expect(hmp).toBe('ran info mtree -f\r\n');
    qmp.close();
  });

  it('rejects an error reply with a QmpError carrying class and text', async () => {
    const fake = await fakeServer(standard);
    const qmp = await QmpClient.connect(fake.socket);
    const err = await qmp.execute('nosuch').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpError);
    expect(err).toMatchObject({ errorClass: 'CommandNotFound', desc: 'The command nosuch has not been found', command: 'nosuch' });
    qmp.close();
  });

  it('finds an event that arrived before the reply when waiting from a mark', async () => {
    const fake = await fakeServer(standard);
    const qmp = await QmpClient.connect(fake.socket);
    const mark = qmp.eventMark();
    await qmp.execute('dump-guest-memory', { paging: false, protocol: 'file:/dev/null' });
    const ev = await qmp.waitForEvent('DUMP_COMPLETED', { since: mark, timeoutMs: 1000 });
    expect(ev.data).toEqual({ result: { status: 'completed', total: 1, completed: 1 } });
    await expect(qmp.waitForEvent('DUMP_COMPLETED', { since: qmp.eventMark(), timeoutMs: 100 })).rejects.toThrow(
      /no DUMP_COMPLETED event within 100 ms/,
    );
    qmp.close();
  });

  it('rejects pending commands when the server goes away', async () => {
    const fake = await fakeServer((msg, send) => {
      if (msg.execute === 'qmp_capabilities') send({ return: {}, id: msg.id });
      else fake.close();
    });
    const qmp = await QmpClient.connect(fake.socket);
    await expect(qmp.execute('quit', undefined, 5000)).rejects.toThrow(/closed/);
  });
});

describe('QmpLineConnection', () => {
  it('sends bytes unchanged and reads replies line by line', async () => {
    const fake = await fakeServer(standard);
    const conn = await QmpLineConnection.connect(fake.socket);
    expect(JSON.parse(await conn.readLine(1000))).toEqual(GREETING);
    await conn.send('{"execute": "qmp_capabilities"}\n{not json}\n');
    expect(JSON.parse(await conn.readLine(1000))).toEqual({ return: {} });
    expect(JSON.parse(await conn.readLine(1000))).toEqual({ error: { class: 'GenericError', desc: 'JSON parse error' } });
    expect(fake.received).toEqual(['{"execute": "qmp_capabilities"}', '{not json}']);
    await expect(conn.readLine(100)).rejects.toThrow(/no line received within 100 ms/);
    conn.close();
  });
});
