/**
 * QEMU's qobject/json-streamer.c: counts braces and brackets over tokens and parses a message
 * whenever both are back to zero (or one went negative), so framing never depends on newlines.
 * Every error (a stray byte, a parse error, a limit) resets the message and lexing goes on: the
 * connection survives all of them, as QEMU's does.
 */
import { JsonLexer, MAX_TOKEN_SIZE, TokenType, type LexerOutput, type Token } from './json-lexer.js';
import { bytesForDisplay } from './mod-utf8.js';
import { JsonParseError, parseTokens } from './json-parser.js';
import type { QObject } from './qobject.js';

export type StreamItem =
  | { readonly kind: 'value'; readonly value: QObject }
  /** QEMU's text, e.g. "JSON parse error, expecting value". */
  | { readonly kind: 'error'; readonly message: string };

/** QEMU's MAX_TOKEN_COUNT and MAX_NESTING. */
export const MAX_TOKEN_COUNT = 2 * 1024 * 1024;
export const MAX_NESTING = 1024;

export interface JsonStreamOptions {
  /** Most bytes one token, and all of one message's tokens together, may take (QEMU: 64 MiB). */
  readonly maxMessageBytes?: number;
  /** Most tokens in one message (QEMU: 2^21). */
  readonly maxTokens?: number;
  /** Deepest nesting of objects and arrays (QEMU: 1024). */
  readonly maxNesting?: number;
}

export class JsonStream {
  private readonly lexer: JsonLexer;
  private tokens: Token[] = [];
  private braces = 0;
  private brackets = 0;
  private size = 0;
  private readonly maxTokenBytes: number;
  private readonly maxTokens: number;
  private readonly maxNesting: number;

  constructor(
    private readonly emit: (item: StreamItem) => void,
    options: JsonStreamOptions = {},
  ) {
    this.maxTokenBytes = options.maxMessageBytes ?? MAX_TOKEN_SIZE;
    this.maxTokens = options.maxTokens ?? MAX_TOKEN_COUNT;
    this.maxNesting = options.maxNesting ?? MAX_NESTING;
    this.lexer = new JsonLexer((token) => this.onToken(token), this.maxTokenBytes);
  }

  feed(bytes: Uint8Array): void {
    this.lexer.feed(bytes);
  }

  /** json_message_process_token(). */
  private onToken(token: LexerOutput): void {
    if (token.type === 'oversized') return this.fail('JSON token size limit exceeded');
    switch (token.type) {
      case TokenType.LCURLY:
        this.braces++;
        break;
      case TokenType.RCURLY:
        this.braces--;
        break;
      case TokenType.LSQUARE:
        this.brackets++;
        break;
      case TokenType.RSQUARE:
        this.brackets--;
        break;
      case TokenType.ERROR:
        return this.fail(`JSON parse error, stray '${bytesForDisplay(token.text)}'`);
    }
    if (this.size + token.text.length + 1 > this.maxTokenBytes) return this.fail('JSON token size limit exceeded');
    if (this.tokens.length + 1 > this.maxTokens) return this.fail('JSON token count limit exceeded');
    if (this.brackets + this.braces > this.maxNesting) return this.fail('JSON nesting depth limit exceeded');
    this.tokens.push(token);
    this.size += token.text.length;
    if ((this.braces > 0 || this.brackets > 0) && this.braces >= 0 && this.brackets >= 0) return;
    const tokens = this.tokens;
    this.reset();
    let value: QObject;
    try {
      value = parseTokens(tokens);
    } catch (error) {
      if (!(error instanceof JsonParseError)) throw error;
      this.emit({ kind: 'error', message: error.message });
      return;
    }
    this.emit({ kind: 'value', value });
  }

  private reset(): void {
    this.tokens = [];
    this.braces = 0;
    this.brackets = 0;
    this.size = 0;
  }

  private fail(message: string): void {
    this.reset();
    this.emit({ kind: 'error', message });
  }
}
