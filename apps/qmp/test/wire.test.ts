import { describe, expect, it } from 'vitest';
import { formatJson, JsonStream, QmpFloat, type QObject } from '../src/index.js';

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
    ['{"a" 1}', 'JSON parse error, missing : in object'],
    ['{"a":1 "b":2}', 'JSON parse error, expected separator in dict'],
    ['[1 2]', 'JSON parse error, expected separator in list'],
    ['}', 'JSON parse error, expecting value'],
    ['{1:2}', 'JSON parse error, key is not a string in object'],
  ])('reports %s as QEMU does: %s', (input, message) => {
    expect(stream([input])).toEqual([{ kind: 'error', message }]);
  });

  it('reports a lexical error as a stray token and recovers at the next brace', () => {
    const items = stream(['{"id":"x\u0001y"}\n{"execute":"ok"}']);
    expect(items[0]).toEqual({ kind: 'error', message: 'JSON parse error, stray \'"x\u0001\'' });
    expect(items[1]).toEqual({ kind: 'error', message: 'JSON parse error, expecting value' });
    expect(items[2]!.kind).toBe('value');
  });

  it('gives up on a message larger than the cap with one overflow item', () => {
    const items = stream(['{"execute":"x","arguments":{"a":"', 'a'.repeat(5000), '"}}', '{"execute":"after"}'], 4096);
    expect(items).toEqual([{ kind: 'overflow', message: 'JSON token size limit exceeded' }]);
  });

  it('bounds nesting depth', () => {
    const items = stream(['['.repeat(2000)]);
    expect(items).toEqual([{ kind: 'overflow', message: 'JSON nesting depth limit exceeded' }]);
  });
});

describe('formatJson (QEMU monitor output)', () => {
  it('separates with ", " and ": " and keeps key order', () => {
    expect(formatJson({ return: { status: 'running', singlestep: false, running: true }, id: [1, null] })).toBe(
      '{"return": {"status": "running", "singlestep": false, "running": true}, "id": [1, null]}',
    );
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
