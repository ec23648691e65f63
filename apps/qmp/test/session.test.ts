import { describe, expect, it } from 'vitest';
import { events, harness, last } from './helpers.js';

const CAPS = '{"execute":"qmp_capabilities"}\n';

describe('QMP session: greeting and negotiation', () => {
  it('greets like QEMU 7.2 and refuses every command before qmp_capabilities', async () => {
    const { connect } = harness();
    const client = connect();
    expect(client.transport.messages()[0]).toEqual({
      QMP: { version: { qemu: { micro: 0, minor: 2, major: 7 }, package: 'vmcore-qmp' }, capabilities: ['oob'] },
    });
    expect(client.transport.lines[0]).toBe(
      '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "vmcore-qmp"}, "capabilities": ["oob"]}}',
    );
    for (const command of ['query-status', 'foo']) {
      const reply = last(await client.send(`{"execute":"${command}","id":7}`));
      expect(reply).toEqual({
        id: 7,
        error: { class: 'CommandNotFound', desc: "Expecting capabilities negotiation with 'qmp_capabilities'" },
      });
    }
    expect(last(await client.send(CAPS))).toEqual({ return: {} });
    expect(last(await client.send(CAPS))).toEqual({
      error: { class: 'CommandNotFound', desc: 'Capabilities negotiation is already complete, command ignored' },
    });
  });

  it("validates qmp_capabilities' enable list with QEMU's 'null' element name", async () => {
    const client = harness().connect();
    expect(last(await client.send('{"execute":"qmp_capabilities","arguments":{"enable":["bogus"]}}'))).toEqual({
      error: { class: 'GenericError', desc: "Parameter 'null' does not accept value 'bogus'" },
    });
    expect(last(await client.send('{"execute":"qmp_capabilities","arguments":{"enable":"oob"}}'))).toEqual({
      error: { class: 'GenericError', desc: "Invalid parameter type for 'enable', expected: array" },
    });
    expect(last(await client.send('{"execute":"qmp_capabilities","arguments":{"enable":["oob"]}}'))).toEqual({ return: {} });
    expect(last(await client.send('{"exec-oob":"query-status"}'))).toEqual({
      error: { class: 'GenericError', desc: 'The command query-status does not support OOB' },
    });
  });

  it('keeps negotiation state per session', async () => {
    const h = harness();
    const a = h.connect();
    const b = h.connect();
    await a.send(CAPS);
    expect(last(await a.send('{"execute":"query-status"}'))).toHaveProperty('return');
    expect(last(await b.send('{"execute":"query-status"}'))).toHaveProperty('error.class', 'CommandNotFound');
  });
});

describe('QMP session: requests, ids and errors', () => {
  it('echoes any JSON id verbatim, after "return" and before "error"', async () => {
    const client = harness().connect();
    await client.send(CAPS);
    await client.send('{"execute":"query-status","id":{"z":[1,"a",null,true]}}');
    expect(client.transport.lines.at(-1)).toBe(
      '{"return": {"status": "running", "singlestep": false, "running": true}, "id": {"z": [1, "a", null, true]}}',
    );
    await client.send('{"execute":"nope","id":12345678901234567890}');
    expect(client.transport.lines.at(-1)).toBe(
      '{"id": 12345678901234567890, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
    );
  });

  it.each([
    ['[1,2]', 'QMP input must be a JSON object'],
    ['{"foo":1}', "QMP input member 'foo' is unexpected"],
    ['{"execute":1}', "QMP input member 'execute' must be a string"],
    ['{"execute":"query-status","arguments":[]}', "QMP input member 'arguments' must be an object"],
    ['{"execute":"query-status","exec-oob":"x"}', "QMP input member 'exec-oob' is unexpected"],
    ['{"id":1}', "QMP input lacks member 'execute'"],
    ['{"execute":"query-status","arguments":{"x":1}}', "Parameter 'x' is unexpected"],
    ['{"execute":"query-status" xx }', 'JSON parse error, expected separator in dict'],
  ])('answers %s with GenericError "%s"', async (request, desc) => {
    const client = harness().connect();
    await client.send(CAPS);
    const reply = last(await client.send(request));
    expect(reply.error).toEqual({ class: 'GenericError', desc });
  });

  it.each([
    ['{}', "Parameter 'paging' is missing"],
    ['{"protocol":"x"}', "Parameter 'paging' is missing"],
    ['{"paging":false}', "Parameter 'protocol' is missing"],
    ['{"paging":1,"protocol":"x"}', "Invalid parameter type for 'paging', expected: boolean"],
    ['{"paging":false,"protocol":5}', "Invalid parameter type for 'protocol', expected: string"],
    ['{"paging":false,"protocol":"x","detach":null}', "Invalid parameter type for 'detach', expected: boolean"],
    ['{"paging":false,"protocol":"x","begin":1.0}', "Invalid parameter type for 'begin', expected: integer"],
    ['{"paging":false,"protocol":"x","begin":18446744073709551615}', "Invalid parameter type for 'begin', expected: integer"],
    ['{"paging":false,"protocol":"x","format":"foo"}', "Parameter 'format' does not accept value 'foo'"],
    ['{"paging":false,"protocol":"x","format":5}', "Invalid parameter type for 'format', expected: string"],
    ['{"paging":false,"protocol":"x","bogus":1,"zzz":2}', "Parameter 'bogus' is unexpected"],
    ['{"paging":true,"protocol":"x","format":"kdump-zlib"}', "kdump-compressed format doesn't support paging or filter"],
    ['{"paging":false,"protocol":"x","format":"win-dmp","begin":0,"length":1}', "kdump-compressed format doesn't support paging or filter"],
    ['{"paging":false,"protocol":"x","begin":0}', "Parameter 'length' is missing"],
    ['{"paging":false,"protocol":"x","length":0}', "Parameter 'begin' is missing"],
    ['{"paging":false,"protocol":"x"}', "Invalid parameter 'protocol'"],
    ['{"paging":false,"protocol":"tcp:1"}', "Invalid parameter 'protocol'"],
    ['{"paging":false,"protocol":""}', "Invalid parameter 'protocol'"],
    ['{"paging":false,"protocol":"fd:nosuchfd"}', "File descriptor named 'nosuchfd' has not been found"],
    ['{"paging":false,"protocol":"file:/nonexistent-dir/x.elf"}', "Could not open '/nonexistent-dir/x.elf': No such file or directory"],
  ])('dump-guest-memory %s fails with "%s" and no events', async (args, desc) => {
    const h = harness();
    const client = h.connect();
    await client.send(CAPS);
    const before = client.transport.lines.length;
    const messages = await client.send(`{"execute":"dump-guest-memory","arguments":${args}}`);
    expect(messages.slice(before)).toEqual([{ error: { class: 'GenericError', desc } }]);
    expect(h.monitor.job.query()).toEqual({ total: 0, status: 'none', completed: 0 });
  });

  it('lists its commands and versions', async () => {
    const client = harness().connect();
    await client.send(CAPS);
    const commands = (last(await client.send('{"execute":"query-commands"}')).return as { name: string }[]).map((c) => c.name);
    expect(commands).toEqual(
      expect.arrayContaining([
        'qmp_capabilities',
        'query-status',
        'stop',
        'cont',
        'quit',
        'dump-guest-memory',
        'query-dump',
        'query-dump-guest-memory-capability',
        'getfd',
        'closefd',
        'query-version',
        'query-commands',
      ]),
    );
    expect(last(await client.send('{"execute":"query-version"}'))).toEqual({
      return: { qemu: { micro: 0, minor: 2, major: 7 }, package: 'vmcore-qmp' },
    });
  });
});

describe('QMP session: run state and events', () => {
  it('stop and cont emit STOP/RESUME once, with QEMU timestamps, to negotiated sessions only', async () => {
    const h = harness({ now: () => 1_795_539_071_795.756 });
    const a = h.connect();
    const b = h.connect();
    const idle = h.connect(); // never negotiates: must see no events
    await a.send(CAPS);
    await b.send(CAPS);
    await a.send('{"execute":"stop"}');
    await a.send('{"execute":"stop"}');
    expect(last(await a.send('{"execute":"query-status"}'))).toEqual({ return: { status: 'paused', singlestep: false, running: false } });
    await a.send('{"execute":"cont"}');
    await a.send('{"execute":"cont"}');
    expect(events(a.transport.messages())).toEqual(['STOP', 'RESUME']);
    expect(events(b.transport.messages())).toEqual(['STOP', 'RESUME']);
    expect(events(idle.transport.messages())).toEqual([]);
    const stop = b.transport.lines.find((line) => line.includes('"STOP"'));
    expect(stop).toBe('{"timestamp": {"seconds": 1795539071, "microseconds": 795756}, "event": "STOP"}');
  });

  it('quit announces SHUTDOWN, answers, then closes every session', async () => {
    let quit = false;
    const h = harness({ onQuit: () => (quit = true) });
    const a = h.connect();
    const b = h.connect();
    await a.send(CAPS);
    await b.send(CAPS);
    const messages = await a.send('{"execute":"quit","id":9}');
    expect(messages.slice(-2)).toEqual([
      { timestamp: expect.any(Object), event: 'SHUTDOWN', data: { guest: false, reason: 'host-qmp-quit' } },
      { return: {}, id: 9 },
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(quit).toBe(true);
    expect(a.transport.ended && b.transport.ended).toBe(true);
  });

  it('starts --paused in prelaunch as qemu -S: stop keeps it (no STOP), cont runs it (RESUME)', async () => {
    const h = harness({ paused: true });
    const a = h.connect();
    await a.send(CAPS);
    expect(last(await a.send('{"execute":"query-status"}'))).toEqual({
      return: { status: 'prelaunch', singlestep: false, running: false },
    });
    await a.send('{"execute":"stop"}');
    expect(last(await a.send('{"execute":"query-status"}'))).toEqual({
      return: { status: 'prelaunch', singlestep: false, running: false },
    });
    await a.send('{"execute":"cont"}');
    expect(last(await a.send('{"execute":"query-status"}'))).toEqual({ return: { status: 'running', singlestep: false, running: true } });
    expect(events(a.transport.messages())).toEqual(['RESUME']);
  });

  it("prints query-status members in QEMU's order from QAPI insertion order", async () => {
    const h = harness();
    const a = h.connect();
    await a.send(CAPS);
    await a.send('{"execute":"query-status","id":1}');
    expect(a.transport.lines.at(-1)).toBe('{"return": {"status": "running", "singlestep": false, "running": true}, "id": 1}');
  });
});
