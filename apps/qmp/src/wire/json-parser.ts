/**
 * QEMU's qobject/json-parser.c over one message's tokens: the first error wins and carries
 * QEMU's text; strings are validated as modified UTF-8 (\u0000 allowed, lone surrogates and
 * noncharacters rejected); integers are int64, else uint64, else double.
 */
import { TokenType, type Token } from './json-lexer.js';
import { bytesForDisplay, isValidCodepoint, modUtf8Codepoint } from './mod-utf8.js';
import { QmpFloat, integerFromToken, type QDict, type QObject } from './qobject.js';

/** A parse failure; `message` is QEMU's full text ("JSON parse error, ..."). */
export class JsonParseError extends Error {}

/** parse_error(): vsnprintf into char message[1024] truncates the formatted text. */
function parseError(text: string): JsonParseError {
  const bytes = Buffer.from(text, 'latin1');
  const clipped = bytes.length > 1023 ? bytes.subarray(0, 1023).toString('latin1') : text;
  return new JsonParseError(`JSON parse error, ${bytesForDisplay(clipped)}`);
}

function cvt4hex(read: (i: number) => number, at: number): number {
  let cp = 0;
  for (let i = 0; i < 4; i++) {
    const c = read(at + i);
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) digit = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) digit = c - 0x41 + 10;
    else return -1;
    cp = (cp << 4) | digit;
  }
  return cp;
}

const ESCAPES: Record<string, string> = { '"': '"', "'": "'", '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** parse_string(): the token's bytes (quotes included) to a string. */
function parseString(text: string): string {
  const read = (i: number) => (i < text.length ? text.charCodeAt(i) : 0);
  const quote = read(0);
  let out = '';
  let ptr = 1;
  while (ptr < text.length && read(ptr) !== quote) {
    if (read(ptr) === 0x5c) {
      const begin = ptr++;
      const escape = String.fromCharCode(read(ptr++));
      if (escape === 'u') {
        let cp = cvt4hex(read, ptr);
        ptr += 4;
        if (cp >= 0xd800 && cp <= 0xdbff && read(ptr) === 0x5c && read(ptr + 1) === 0x75) {
          const trailing = cvt4hex(read, ptr + 2);
          if (trailing >= 0xdc00 && trailing <= 0xdfff) {
            cp = 0x10000 + ((cp & 0x3ff) << 10) + (trailing & 0x3ff);
            ptr += 6;
          } else {
            cp = -1;
          }
        }
        if (!isValidCodepoint(cp)) {
          // "%.*s": the escape as written, cut at the token's end like the C string.
          const written = text.slice(begin, Math.min(ptr, text.length));
          throw parseError(`${written} is not a valid Unicode character`);
        }
        out += String.fromCodePoint(cp);
      } else if (escape in ESCAPES) {
        out += ESCAPES[escape];
      } else {
        throw parseError('invalid escape sequence in string');
      }
      continue;
    }
    const { cp, next } = modUtf8Codepoint(read, ptr);
    if (cp < 0) throw parseError('invalid UTF-8 sequence in string');
    out += String.fromCodePoint(cp);
    ptr = next;
  }
  return out;
}

/** JSON_INTEGER past 20 digits is beyond uint64 anyway: skip BigInt on huge tokens. */
function parseInteger(text: string): number | bigint | QmpFloat {
  const digits = text.length - (text.startsWith('-') ? 1 : 0);
  if (digits > 20) return new QmpFloat(Number(text));
  return integerFromToken(text);
}

/** json_parser_parse(): one complete message's tokens to a value, or QEMU's first error. */
export function parseTokens(tokens: readonly Token[]): QObject {
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const pop = (): Token | undefined => tokens[pos++];

  function value(): QObject {
    const token = peek();
    if (!token) throw parseError('premature EOI');
    switch (token.type) {
      case TokenType.LCURLY:
        return object();
      case TokenType.LSQUARE:
        return array();
      case TokenType.STRING:
        pos++;
        return parseString(token.text);
      case TokenType.INTEGER:
        pos++;
        return parseInteger(token.text);
      case TokenType.FLOAT:
        pos++;
        return new QmpFloat(Number(token.text));
      case TokenType.KEYWORD:
        pos++;
        if (token.text === 'true') return true;
        if (token.text === 'false') return false;
        if (token.text === 'null') return null;
        throw parseError(`invalid keyword '${token.text}'`);
      default:
        throw parseError('expecting value');
    }
  }

  function pair(dict: QDict): void {
    if (!peek()) throw parseError('premature EOI');
    const key = value();
    if (typeof key !== 'string') throw parseError('key is not a string in object');
    const colon = pop();
    if (!colon) throw parseError('premature EOI');
    if (colon.type !== TokenType.COLON) throw parseError('missing : in object pair');
    const member = value();
    if (dict.has(key)) throw parseError('duplicate key');
    dict.set(key, member);
  }

  function object(): QDict {
    pos++;
    const dict: QDict = new Map();
    const first = peek();
    if (!first) throw parseError('premature EOI');
    if (first.type === TokenType.RCURLY) {
      pos++;
      return dict;
    }
    pair(dict);
    for (;;) {
      const token = pop();
      if (!token) throw parseError('premature EOI');
      if (token.type === TokenType.RCURLY) return dict;
      if (token.type !== TokenType.COMMA) throw parseError('expected separator in dict');
      pair(dict);
    }
  }

  function array(): QObject[] {
    pos++;
    const list: QObject[] = [];
    const first = peek();
    if (!first) throw parseError('premature EOI');
    if (first.type === TokenType.RSQUARE) {
      pos++;
      return list;
    }
    list.push(value());
    for (;;) {
      const token = pop();
      if (!token) throw parseError('premature EOI');
      if (token.type === TokenType.RSQUARE) return list;
      if (token.type !== TokenType.COMMA) throw parseError('expected separator in list');
      list.push(value());
    }
  }

  return value();
}
