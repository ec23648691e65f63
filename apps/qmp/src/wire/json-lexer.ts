/**
 * An incremental JSON lexer shaped like QEMU's qobject/json-lexer.c: it works on bytes, accepts
 * single-quoted strings, treats any run of a-z as a keyword (the parser judges it), and after a
 * lexical error skips input until a structural character, so one bad request does not poison the
 * rest of the stream.
 */
export type TokenType = '{' | '}' | '[' | ']' | ':' | ',' | 'string' | 'integer' | 'float' | 'keyword' | 'error';

export interface Token {
  readonly type: TokenType;
  /** The raw bytes of the token, latin1-decoded (strings are decoded by the parser). */
  readonly text: string;
  /** Set on the error token for a token longer than the lexer's limit. */
  readonly overflow?: true;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isLower = (c: number) => c >= 0x61 && c <= 0x7a;
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isHex = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

type State =
  | 'start' | 'recovery' | 'keyword'
  | 'string' | 'escape' | 'unicode'
  | 'minus' | 'zero' | 'int' | 'dot' | 'frac' | 'exp' | 'expSign' | 'expDigits';

export class JsonLexer {
  private state: State = 'start';
  private token: number[] = [];
  private quote = 0;
  private hexLeft = 0;

  constructor(
    private readonly emit: (token: Token) => void,
    /** A single token longer than this is an error (QEMU bounds tokens too). */
    private readonly maxTokenBytes: number,
  ) {}

  /** Bytes of the token being lexed (for the caller's size accounting). */
  get pending(): number {
    return this.token.length;
  }

  feed(bytes: Uint8Array): void {
    for (const c of bytes) this.feedByte(c);
  }

  private text(): string {
    return String.fromCharCode(...this.token);
  }

  private finish(type: TokenType): void {
    const text = this.text();
    this.token = [];
    this.state = 'start';
    this.emit({ type, text });
  }

  private fail(c?: number): void {
    if (c !== undefined && c !== 0 && c !== 0xff) this.token.push(c);
    const text = this.text();
    this.token = [];
    this.state = 'recovery';
    this.emit({ type: 'error', text });
  }

  private feedByte(c: number): void {
    for (;;) {
      if (this.token.length > this.maxTokenBytes) {
        this.token = [];
        this.state = 'recovery';
        this.emit({ type: 'error', text: '', overflow: true });
      }
      switch (this.state) {
        case 'recovery':
          if (c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d) {
            this.state = 'start';
            continue;
          }
          return;
        case 'start':
          if (isSpace(c)) return;
          if (c === 0x7b || c === 0x7d || c === 0x5b || c === 0x5d || c === 0x3a || c === 0x2c) {
            this.emit({ type: String.fromCharCode(c) as TokenType, text: String.fromCharCode(c) });
            return;
          }
          if (c === 0x22 || c === 0x27) {
            this.quote = c;
            this.token.push(c);
            this.state = 'string';
            return;
          }
          if (c === 0x2d) { this.token.push(c); this.state = 'minus'; return; }
          if (c === 0x30) { this.token.push(c); this.state = 'zero'; return; }
          if (isDigit(c)) { this.token.push(c); this.state = 'int'; return; }
          if (isLower(c)) { this.token.push(c); this.state = 'keyword'; return; }
          this.fail(c);
          return;
        case 'keyword':
          if (isLower(c)) { this.token.push(c); return; }
          this.finish('keyword');
          continue;
        case 'string':
          if (c === this.quote) { this.token.push(c); this.finish('string'); return; }
          if (c === 0x5c) { this.token.push(c); this.state = 'escape'; return; }
          if (c < 0x20) { this.fail(c); return; }
          this.token.push(c);
          return;
        case 'escape':
          if ('"\'\\/bfnrt'.includes(String.fromCharCode(c))) { this.token.push(c); this.state = 'string'; return; }
          if (c === 0x75) { this.token.push(c); this.hexLeft = 4; this.state = 'unicode'; return; }
          this.fail(c);
          return;
        case 'unicode':
          if (!isHex(c)) { this.fail(c); return; }
          this.token.push(c);
          if (--this.hexLeft === 0) this.state = 'string';
          return;
        case 'minus':
          if (c === 0x30) { this.token.push(c); this.state = 'zero'; return; }
          if (isDigit(c)) { this.token.push(c); this.state = 'int'; return; }
          this.fail(c);
          return;
        case 'zero':
          if (c === 0x2e) { this.token.push(c); this.state = 'dot'; return; }
          if (c === 0x65 || c === 0x45) { this.token.push(c); this.state = 'exp'; return; }
          this.finish('integer');
          continue;
        case 'int':
          if (isDigit(c)) { this.token.push(c); return; }
          if (c === 0x2e) { this.token.push(c); this.state = 'dot'; return; }
          if (c === 0x65 || c === 0x45) { this.token.push(c); this.state = 'exp'; return; }
          this.finish('integer');
          continue;
        case 'dot':
          if (isDigit(c)) { this.token.push(c); this.state = 'frac'; return; }
          this.fail(c);
          return;
        case 'frac':
          if (isDigit(c)) { this.token.push(c); return; }
          if (c === 0x65 || c === 0x45) { this.token.push(c); this.state = 'exp'; return; }
          this.finish('float');
          continue;
        case 'exp':
          if (c === 0x2b || c === 0x2d) { this.token.push(c); this.state = 'expSign'; return; }
          if (isDigit(c)) { this.token.push(c); this.state = 'expDigits'; return; }
          this.fail(c);
          return;
        case 'expSign':
          if (isDigit(c)) { this.token.push(c); this.state = 'expDigits'; return; }
          this.fail(c);
          return;
        case 'expDigits':
          if (isDigit(c)) { this.token.push(c); return; }
          this.finish('float');
          continue;
      }
    }
  }
}
