import { describe, expect, it } from 'vitest';
import { formatJson, JsonStream, QmpFloat, type QObject } from '../src/index.js';
import { MAX_TOKEN_SIZE } from '../src/wire/json-lexer.js';
import { MAX_NESTING, MAX_TOKEN_COUNT } from '../src/wire/json-stream.js';

type Item = { kind: string; value?: QObject; message?: string };

function stream(chunks: (string | Uint8Array)[], maxMessageBytes?: number): Item[] {
  const items: Item[] = [];
  const s = new JsonStream((item) => items.push(item as Item), maxMessageBytes ? { maxMessageBytes } : {});
  for (const chunk of chunks) s.feed(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk);
  return items;
}

describe('JSON streamer (QEMU json-streamer framing)', () => {
  it('frames by brace depth, not by newline: two requests on one line, one request over three chunks', () => {
    const items = stream(['{"execute":"a"} {"execute"', ':"b"', '}']);
    expect(items.map((i) => i.kind)).toEqual(['value', 'value']);
    expect((items[1]!.value as Map<string, QObject>).get('execute')).toBe('b');
  });

  it('keeps integers and floats apart and integers beyond int64 exact', () => {
    const [item] = stream(['[1, 1.0, -0.0, 12345678901234567890, 1e400]']);
    const list = item!.value as QObject[];
    expect(list[0]).toBe(1);
    expect(list[1]).toBeInstanceOf(QmpFloat);
    expect(list[3]).toBe(12345678901234567890n);
    expect(list[4]).toBeInstanceOf(QmpFloat);
  });

  it('accepts single-quoted strings and \\u escapes', () => {
    const [item] = stream(["{'a': '\\u00e9\\n'}"]);
    expect((item!.value as Map<string, QObject>).get('a')).toBe('é\n');
  });

  it.each([
    ['{"a":1,"a":2}', 'JSON parse error, duplicate key'],
    ['{"a":tru}', "JSON parse error, invalid keyword 'tru'"],
    ['{"a" 1}', 'JSON parse error, missing : in object pair'],
    ['{"a":1 "b":2}', 'JSON parse error, expected separator in dict'],
    ['[1 2]', 'JSON parse error, expected separator in list'],
    ['}', 'JSON parse error, expecting value'],
    ['{1:2}', 'JSON parse error, key is not a string in object'],
  ])('reports %s as QEMU does: %s', (input, message) => {
    expect(stream([input])).toEqual([{ kind: 'error', message }]);
  });

  it('reports a lexical error as a stray token and recovers at the next brace', () => {
    const items = stream(['{"id":"x\u0001y"}\n{"execute":"ok"}']);
    expect(items[0]).toEqual({ kind: 'error', message: "JSON parse error, stray '\"x\u0001'" });
    expect(items[1]).toEqual({ kind: 'error', message: 'JSON parse error, expecting value' });
    expect(items[2]!.kind).toBe('value');
  });

  it("answers a message larger than the cap with QEMU's size error and keeps lexing what follows", () => {
    const items = stream(['{"execute":"x","arguments":{"a":"', 'a'.repeat(5000), '"}}', '\n{"execute":"after"}'], 4096);
    expect(items[0]).toEqual({ kind: 'error', message: 'JSON token size limit exceeded' });
    // The rest of the string is lexed from the start state, as QEMU does: a keyword of the
    // remaining letters, then the request after the newline is still served.
    expect(items[1]).toEqual({ kind: 'error', message: `JSON parse error, invalid keyword '${'a'.repeat(5000 - 4096)}'` });
    expect(items.at(-1)!.kind).toBe('value');
    expect((items.at(-1)!.value as Map<string, QObject>).get('execute')).toBe('after');
  });

  it("has QEMU's limits: 64 MiB per token and message, 2^21 tokens, nesting 1024", () => {
    expect([MAX_TOKEN_SIZE, MAX_TOKEN_COUNT, MAX_NESTING]).toEqual([64 << 20, 1 << 21, 1024]);
  });

  it("answers a message with too many tokens with QEMU's count error, then goes on", () => {
    const items: Item[] = [];
    const s = new JsonStream((item) => items.push(item as Item), { maxTokens: 10 });
    s.feed(new TextEncoder().encode('[1,2,3,4,5,6] {"a":1}'));
    expect(items[0]).toEqual({ kind: 'error', message: 'JSON token count limit exceeded' });
    expect(items.at(-1)!.kind).toBe('value');
  });

  it('bounds nesting depth at 1024, then goes on parsing', () => {
    const items = stream(['['.repeat(1100), ']'.repeat(76), ' {"execute":"after"}']);
    expect(items[0]).toEqual({ kind: 'error', message: 'JSON nesting depth limit exceeded' });
    expect(items.at(-1)!.kind).toBe('value');
  });

  it('decodes a 200 kB string token without spreading it into a call (issue 10 item 1)', () => {
    const big = 'x'.repeat(200_000);
    const [item] = stream([`{"a":"${big}","n":${'9'.repeat(200_000)}}`]);
    expect(item!.kind).toBe('value');
    expect((item!.value as Map<string, QObject>).get('a')).toBe(big);
    expect((item!.value as Map<string, QObject>).get('n')).toBeInstanceOf(QmpFloat);
  });

  it.each([
    ['"a\\u0000b"', 'a\u0000b'],
    ['"\\ud83d\\ude00"', '\u{1f600}'],
    ["'\\''", "'"],
    ['"\xc0\x80"', '\u0000'],
  ])('accepts %s as QEMU does', (input, value) => {
    expect(stream([Uint8Array.from(input, (c) => c.charCodeAt(0))])).toEqual([{ kind: 'value', value }]);
  });

  it.each([
    ['"\\ud800"', 'JSON parse error, \\ud800 is not a valid Unicode character'],
    ['"\\udc00x"', 'JSON parse error, \\udc00 is not a valid Unicode character'],
    ['"\\ud800\\u0041"', 'JSON parse error, \\ud800 is not a valid Unicode character'],
    ['"\\uffff"', 'JSON parse error, \\uffff is not a valid Unicode character'],
    ['"\\u12"', 'JSON parse error, \\u12" is not a valid Unicode character'],
    ['"\\x"', 'JSON parse error, invalid escape sequence in string'],
    ['"\xe9"', 'JSON parse error, invalid UTF-8 sequence in string'],
    ['"\xed\xa0\x80"', 'JSON parse error, invalid UTF-8 sequence in string'],
  ])('rejects %s as QEMU does', (input, message) => {
    expect(stream([Uint8Array.from(input, (c) => c.charCodeAt(0))])).toEqual([{ kind: 'error', message }]);
  });

  it("reports raw \\xff\\xfe in a string as QEMU's three errors", () => {
    const bytes = Uint8Array.from('{"execute":"\xff\xfe"}', (c) => c.charCodeAt(0));
    expect(stream([bytes]).map((item) => item.message)).toEqual([
      "JSON parse error, stray '\"\ufffd'",
      "JSON parse error, stray '\ufffd'",
      'JSON parse error, expecting value',
    ]);
  });
});

describe('formatJson (QEMU monitor output)', () => {
  it('separates with ", " and ": " and prints members in QDict hash order', () => {
    // Inserted in QAPI order (running, singlestep, status), printed as QEMU 7.2 prints them.
    expect(formatJson({ return: { running: true, singlestep: false, status: 'running' }, id: [1, null] })).toBe(
      '{"return": {"status": "running", "singlestep": false, "running": true}, "id": [1, null]}',
    );
    // An echoed id, as QEMU 7.2 echoed {"b":1,"a":2,"zz":[1,{"y":1,"x":2}],"id":3,"return":4}.
    const id: QObject = new Map<string, QObject>([
      ['b', 1],
      ['a', 2],
      [
        'zz',
        [
          1,
          new Map<string, QObject>([
            ['y', 1],
            ['x', 2],
          ]),
        ],
      ],
      ['id', 3],
      ['return', 4],
    ]);
    expect(formatJson(id)).toBe('{"a": 2, "zz": [1, {"x": 2, "y": 1}], "b": 1, "return": 4, "id": 3}');
  });

  it('escapes control and non-ASCII characters as upper-case \\u escapes, surrogate pairs included', () => {
    expect(formatJson('é😀/\u0001\u007f"\\')).toBe('"\\u00E9\\uD83D\\uDE00/\\u0001\\u007F\\"\\\\"');
  });

  it('prints doubles with %.17g and keeps big integers exact', () => {
    expect(formatJson(new QmpFloat(1500))).toBe('1500');
    expect(formatJson(new QmpFloat(-0))).toBe('-0');
    expect(formatJson(new QmpFloat(0.1))).toBe('0.10000000000000001');
    expect(formatJson(new QmpFloat(1e300))).toBe('1.0000000000000001e+300');
    expect(formatJson(12345678901234567890n)).toBe('12345678901234567890');
  });
});
