import { JsonLexer, type Token } from './json-lexer.js';
import { JsonParseError, parseTokens } from './json-parser.js';
import type { QObject } from './qobject.js';

export type StreamItem =
  | { readonly kind: 'value'; readonly value: QObject }
  /** QEMU's text, e.g. "JSON parse error, expecting value". */
  | { readonly kind: 'error'; readonly message: string }
  /** The message grew past the cap: the connection is not worth keeping. */
  | { readonly kind: 'overflow'; readonly message: string };

export interface JsonStreamOptions {
  /** Most bytes one message may take (default 1 MiB). */
  readonly maxMessageBytes?: number;
  /** Deepest nesting of objects/arrays (QEMU: 1024). */
  readonly maxNesting?: number;
}

/**
 * QEMU's json-streamer: counts braces and brackets over tokens and hands a message to the parser
 * whenever the depth returns to zero (or goes negative), so framing does not depend on newlines.
 */
export class JsonStream {
  private readonly lexer: JsonLexer;
  private tokens: Token[] = [];
  private braces = 0;
  private brackets = 0;
  private size = 0;
  private readonly maxBytes: number;
  private readonly maxNesting: number;
  private overflowed = false;

  constructor(private readonly emit: (item: StreamItem) => void, options: JsonStreamOptions = {}) {
    this.maxBytes = options.maxMessageBytes ?? 1 << 20;
    this.maxNesting = options.maxNesting ?? 1024;
    this.lexer = new JsonLexer((token) => this.onToken(token), this.maxBytes);
  }

  feed(bytes: Uint8Array): void {
    if (this.overflowed) return;
    this.lexer.feed(bytes);
  }

  private reset(): void {
    this.tokens = [];
    this.braces = 0;
    this.brackets = 0;
    this.size = 0;
  }

  private overflow(message: string): void {
    this.overflowed = true;
    this.reset();
    this.emit({ kind: 'overflow', message });
  }

  private onToken(token: Token): void {
    if (this.overflowed) return;
    if (token.type === 'error') {
      if (token.overflow) {
        this.overflow('JSON token size limit exceeded');
        return;
      }
      this.reset();
      this.emit({ kind: 'error', message: `JSON parse error, stray '${token.text}'` });
      return;
    }
    switch (token.type) {
      case '{': this.braces++; break;
      case '}': this.braces--; break;
      case '[': this.brackets++; break;
      case ']': this.brackets--; break;
    }
    this.tokens.push(token);
    this.size += token.text.length;
    if (this.braces < 0 || this.brackets < 0 || (this.braces === 0 && this.brackets === 0)) {
      const tokens = this.tokens;
      this.reset();
      try {
        this.emit({ kind: 'value', value: parseTokens(tokens) });
      } catch (error) {
        if (!(error instanceof JsonParseError)) throw error;
        this.emit({ kind: 'error', message: `JSON parse error, ${error.message}` });
      }
      return;
    }
    if (this.braces + this.brackets > this.maxNesting) {
      this.overflow('JSON nesting depth limit exceeded');
    } else if (this.size + this.lexer.pending > this.maxBytes) {
      this.overflow('JSON token size limit exceeded');
    }
  }
}
