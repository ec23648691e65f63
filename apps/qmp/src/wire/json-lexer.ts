/**
 * QEMU's qobject/json-lexer.c, table for table: a byte-driven state machine that accepts
 * single-quoted strings, treats any run of a-z as a keyword (the parser judges it), leaves
 * string contents (escapes, UTF-8) to the parser, and after an error skips input until a
 * structural character, a control character or an impossible UTF-8 byte (0xFE, 0xFF).
 */

/** Token types (json-parser-int.h); ERROR is 0 so the table's default is the error state. */
export const TokenType = {
  ERROR: 0,
  LCURLY: 100,
  RCURLY: 101,
  LSQUARE: 102,
  RSQUARE: 103,
  COLON: 104,
  COMMA: 105,
  INTEGER: 106,
  FLOAT: 107,
  KEYWORD: 108,
  STRING: 109,
} as const;
export type TokenType = (typeof TokenType)[keyof typeof TokenType];

export interface Token {
  readonly type: TokenType;
  /** The token's bytes, one char per byte (latin1), as QEMU's GString holds them. */
  readonly text: string;
}

/** QEMU's MAX_TOKEN_SIZE (json-lexer.c and json-streamer.c). */
export const MAX_TOKEN_SIZE = 64 * 1024 * 1024;

const IN_RECOVERY = 1;
const IN_DQ_STRING_ESCAPE = 2;
const IN_DQ_STRING = 3;
const IN_SQ_STRING_ESCAPE = 4;
const IN_SQ_STRING = 5;
const IN_ZERO = 6;
const IN_EXP_DIGITS = 7;
const IN_EXP_SIGN = 8;
const IN_EXP_E = 9;
const IN_MANTISSA = 10;
const IN_MANTISSA_DIGITS = 11;
const IN_DIGITS = 12;
const IN_SIGN = 13;
const IN_KEYWORD = 14;
const IN_START = 16;
const STATES = 17;
const LOOKAHEAD = 0x80;

const code = (c: string) => c.charCodeAt(0);

/** json_lexer[state][byte], built from the same ranges as QEMU's designated initialisers. */
const TABLE: Uint8Array[] = (() => {
  const table = Array.from({ length: STATES }, () => new Uint8Array(256));
  const set = (state: number, from: number, to: number, next: number) => table[state]!.fill(next, from, to + 1);
  const one = (state: number, c: string, next: number) => set(state, code(c), code(c), next);
  const terminal = (state: number, token: number) => set(state, 0, 0xff, token | LOOKAHEAD);

  set(IN_RECOVERY, 0, 0x1f, IN_START | LOOKAHEAD);
  set(IN_RECOVERY, 0x20, 0xfd, IN_RECOVERY);
  set(IN_RECOVERY, 0xfe, 0xff, IN_START | LOOKAHEAD);
  one(IN_RECOVERY, '\t', IN_RECOVERY);
  for (const c of '[]{}:,') one(IN_RECOVERY, c, IN_START | LOOKAHEAD);

  set(IN_DQ_STRING_ESCAPE, 0x20, 0xfd, IN_DQ_STRING);
  set(IN_DQ_STRING, 0x20, 0xfd, IN_DQ_STRING);
  one(IN_DQ_STRING, '\\', IN_DQ_STRING_ESCAPE);
  one(IN_DQ_STRING, '"', TokenType.STRING);
  set(IN_SQ_STRING_ESCAPE, 0x20, 0xfd, IN_SQ_STRING);
  set(IN_SQ_STRING, 0x20, 0xfd, IN_SQ_STRING);
  one(IN_SQ_STRING, '\\', IN_SQ_STRING_ESCAPE);
  one(IN_SQ_STRING, "'", TokenType.STRING);

  terminal(IN_ZERO, TokenType.INTEGER);
  set(IN_ZERO, code('0'), code('9'), TokenType.ERROR);
  one(IN_ZERO, '.', IN_MANTISSA);

  terminal(IN_EXP_DIGITS, TokenType.FLOAT);
  set(IN_EXP_DIGITS, code('0'), code('9'), IN_EXP_DIGITS);
  set(IN_EXP_SIGN, code('0'), code('9'), IN_EXP_DIGITS);
  one(IN_EXP_E, '-', IN_EXP_SIGN);
  one(IN_EXP_E, '+', IN_EXP_SIGN);
  set(IN_EXP_E, code('0'), code('9'), IN_EXP_DIGITS);
  terminal(IN_MANTISSA_DIGITS, TokenType.FLOAT);
  set(IN_MANTISSA_DIGITS, code('0'), code('9'), IN_MANTISSA_DIGITS);
  one(IN_MANTISSA_DIGITS, 'e', IN_EXP_E);
  one(IN_MANTISSA_DIGITS, 'E', IN_EXP_E);
  set(IN_MANTISSA, code('0'), code('9'), IN_MANTISSA_DIGITS);

  terminal(IN_DIGITS, TokenType.INTEGER);
  set(IN_DIGITS, code('0'), code('9'), IN_DIGITS);
  one(IN_DIGITS, 'e', IN_EXP_E);
  one(IN_DIGITS, 'E', IN_EXP_E);
  one(IN_DIGITS, '.', IN_MANTISSA);
  one(IN_SIGN, '0', IN_ZERO);
  set(IN_SIGN, code('1'), code('9'), IN_DIGITS);

  terminal(IN_KEYWORD, TokenType.KEYWORD);
  set(IN_KEYWORD, code('a'), code('z'), IN_KEYWORD);

  one(IN_START, '"', IN_DQ_STRING);
  one(IN_START, "'", IN_SQ_STRING);
  one(IN_START, '0', IN_ZERO);
  set(IN_START, code('1'), code('9'), IN_DIGITS);
  one(IN_START, '-', IN_SIGN);
  one(IN_START, '{', TokenType.LCURLY);
  one(IN_START, '}', TokenType.RCURLY);
  one(IN_START, '[', TokenType.LSQUARE);
  one(IN_START, ']', TokenType.RSQUARE);
  one(IN_START, ',', TokenType.COMMA);
  one(IN_START, ':', TokenType.COLON);
  set(IN_START, code('a'), code('z'), IN_KEYWORD);
  for (const c of ' \t\r\n') one(IN_START, c, IN_START);
  return table;
})();

/**
 * What the lexer hands on: a token, or (QEMU passes the lexer's state as the type here) a token
 * that outgrew MAX_TOKEN_SIZE, which the streamer turns into its size error.
 */
export type LexerOutput = Token | { readonly type: 'oversized' };

export class JsonLexer {
  private state = IN_START;
  private buffer = new Uint8Array(64);
  private length = 0;

  constructor(
    private readonly emit: (token: LexerOutput) => void,
    private readonly maxTokenBytes: number = MAX_TOKEN_SIZE,
  ) {}

  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.feedByte(bytes[i]!);
  }

  /** The token so far as one-char-per-byte text (decoded without spreading bytes into a call). */
  private text(): string {
    return Buffer.from(this.buffer.buffer, this.buffer.byteOffset, this.length).toString('latin1');
  }

  private append(c: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Uint8Array(Math.min(this.buffer.length * 2, this.maxTokenBytes + 1));
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = c;
  }

  private truncate(): void {
    this.length = 0;
    if (this.buffer.length > 1 << 16) this.buffer = new Uint8Array(64);
  }

  /** json_lexer_feed_char() without flush (QMP never flushes). */
  private feedByte(c: number): void {
    let consumed = false;
    while (!consumed) {
      const entry = TABLE[this.state]![c]!;
      consumed = (entry & LOOKAHEAD) === 0;
      let next = entry & ~LOOKAHEAD;
      if (consumed) this.append(c);
      if (next >= TokenType.LCURLY) {
        this.emit({ type: next as TokenType, text: this.text() });
        this.truncate();
        next = IN_START;
      } else if (next === IN_START) {
        this.truncate();
      } else if (next === TokenType.ERROR) {
        this.emit({ type: TokenType.ERROR, text: this.text() });
        this.truncate();
        next = IN_RECOVERY;
      } else if (next === IN_RECOVERY) {
        this.truncate();
      }
      this.state = next;
    }
    // A single token may not grow without bound (QEMU: a security consideration).
    if (this.length > this.maxTokenBytes) {
      this.emit({ type: 'oversized' });
      this.truncate();
      this.state = IN_START;
    }
  }
}
