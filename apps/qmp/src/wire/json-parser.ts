import type { Token } from './json-lexer.js';
import { QmpFloat, integerFromToken, type QDict, type QObject } from './qobject.js';

/** A parse failure; `message` is QEMU's text without the "JSON parse error, " prefix. */
export class JsonParseError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a lexed string token (quotes, escapes, UTF-8), as QEMU's parse_string does. */
function decodeString(text: string): string {
  const bytes: number[] = [];
  let out = '';
  const flush = () => {
    if (bytes.length === 0) return;
    try {
      out += utf8.decode(Uint8Array.from(bytes));
    } catch {
      throw new JsonParseError('invalid UTF-8 sequence in string');
    }
    bytes.length = 0;
  };
  for (let i = 1; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x5c) {
      bytes.push(c);
      continue;
    }
    flush();
    const e = text[++i]!;
    switch (e) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        const unit = parseInt(text.slice(i + 1, i + 5), 16);
        i += 4;
        if (unit === 0) throw new JsonParseError('\\u0000 is not supported');
        out += String.fromCharCode(unit);
        break;
      }
      default: out += e;
    }
  }
  flush();
  return out;
}

/** Parses one complete top-level token list with QEMU's json-parser.c error texts. */
export function parseTokens(tokens: readonly Token[]): QObject {
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];

  function value(): QObject {
    const token = next();
    if (!token) throw new JsonParseError('premature EOI');
    switch (token.type) {
      case '{': return object();
      case '[': return array();
      case 'string': return decodeString(token.text);
      case 'integer': return integerFromToken(token.text);
      case 'float': return new QmpFloat(Number(token.text));
      case 'keyword':
        if (token.text === 'true') return true;
        if (token.text === 'false') return false;
        if (token.text === 'null') return null;
        throw new JsonParseError(`invalid keyword '${token.text}'`);
      default:
        throw new JsonParseError('expecting value');
    }
  }

  function object(): QDict {
    const dict: QDict = new Map();
    if (peek()?.type === '}') {
      pos++;
      return dict;
    }
    for (;;) {
      const key = next();
      if (!key) throw new JsonParseError('premature EOI');
      if (key.type !== 'string') throw new JsonParseError('key is not a string in object');
      const colon = next();
      if (!colon) throw new JsonParseError('premature EOI');
      if (colon.type !== ':') throw new JsonParseError('missing : in object');
      const name = decodeString(key.text);
      const member = value();
      if (dict.has(name)) throw new JsonParseError('duplicate key');
      dict.set(name, member);
      const sep = next();
      if (!sep) throw new JsonParseError('premature EOI');
      if (sep.type === '}') return dict;
      if (sep.type !== ',') throw new JsonParseError('expected separator in dict');
    }
  }

  function array(): QObject[] {
    const list: QObject[] = [];
    if (peek()?.type === ']') {
      pos++;
      return list;
    }
    for (;;) {
      list.push(value());
      const sep = next();
      if (!sep) throw new JsonParseError('premature EOI');
      if (sep.type === ']') return list;
      if (sep.type !== ',') throw new JsonParseError('expected separator in list');
    }
  }

  return value();
}
