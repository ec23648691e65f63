/**
 * QEMU's modified UTF-8 (util/unicode.c): the decoder its JSON parser validates strings with and
 * its JSON writer prints them with. NUL travels as the overlong pair C0 80.
 */

const MIN_CODEPOINT = [0x80, 0x800, 0x10000, 0x200000, 0x4000000];

/** is_valid_codepoint(): in range, not a noncharacter, not a surrogate. */
export function isValidCodepoint(cp: number): boolean {
  if (cp > 0x10ffff) return false;
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return false;
  return !(cp >= 0xd800 && cp <= 0xdfff);
}

/**
 * mod_utf8_codepoint(s, n, &end) over `read(i)` (0 past the end, like the C string's NUL):
 * the code point (-1 when invalid) and how many bytes it took.
 */
export function modUtf8Codepoint(read: (i: number) => number, at: number, n = 6): { cp: number; next: number } {
  let p = at;
  if (n === 0 || read(p) === 0) return { cp: -1, next: p };
  const first = read(p++);
  let cp: number;
  if (first < 0x80) return { cp: first, next: p };
  if (first >= 0xfe) return { cp: -1, next: p };
  if ((first & 0x40) === 0) return { cp: -1, next: p };
  let len = 0;
  let mask = 0x80;
  for (; first & mask; mask >>= 1) len++;
  cp = first & (mask - 1);
  for (let i = 1; i < len; i++) {
    const byte = i < n ? read(p) : 0;
    if ((byte & 0xc0) !== 0x80) return { cp: -1, next: p };
    p++;
    cp = cp * 64 + (byte & 0x3f);
  }
  if (cp > 0x10ffff) cp = -1;
  else if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) cp = -1;
  else if (cp >= 0xd800 && cp <= 0xdfff) cp = -1;
  else if (cp < MIN_CODEPOINT[len - 2]! && !(cp === 0 && len === 2)) cp = -1;
  return { cp, next: p };
}

/**
 * Builds a string from code points without a `+=` per character (which would make a rope of
 * millions of nodes for a 64 MiB token): code units are batched and plain runs appended as slices.
 */
export class StringBuilder {
  private readonly parts: string[] = [];
  private units: number[] = [];

  codepoint(cp: number): void {
    if (cp > 0xffff) this.units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else this.units.push(cp);
    if (this.units.length >= 8192) this.flush();
  }

  text(run: string): void {
    if (run.length === 0) return;
    this.flush();
    this.parts.push(run);
  }

  private flush(): void {
    if (this.units.length === 0) return;
    this.parts.push(String.fromCharCode.apply(null, this.units));
    this.units = [];
  }

  toString(): string {
    this.flush();
    return this.parts.join('');
  }
}

/** Length of the run of plain printable ASCII (no quote, backslash or `stop`) starting at `at`. */
export function asciiRun(text: string, at: number, stop: number): number {
  let end = at;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    if (c < 0x20 || c >= 0x80 || c === 0x5c || c === stop) break;
    end++;
  }
  return end - at;
}

/**
 * A C string of raw bytes as QEMU's JSON writer shows it: up to the first NUL, every invalid
 * sequence replaced by U+FFFD (error texts quote client bytes this way).
 */
export function bytesForDisplay(text: string): string {
  const read = (i: number) => (i < text.length ? text.charCodeAt(i) & 0xff : 0);
  const out = new StringBuilder();
  for (let at = 0; read(at) !== 0;) {
    const run = asciiRun(text, at, -1);
    if (run > 0) {
      out.text(text.slice(at, at + run));
      at += run;
      continue;
    }
    const { cp, next } = modUtf8Codepoint(read, at);
    out.codepoint(cp < 0 ? 0xfffd : cp);
    at = next;
  }
  return out.toString();
}

/** A JS string as the modified UTF-8 bytes QEMU keeps in a QString (NUL as C0 80). */
export function modUtf8Bytes(text: string): Uint8Array {
  const utf8 = Buffer.from(text, 'utf8');
  let nuls = 0;
  for (const byte of utf8) if (byte === 0) nuls++;
  if (nuls === 0) return utf8;
  const out = new Uint8Array(utf8.length + nuls);
  let j = 0;
  for (const byte of utf8) {
    if (byte === 0) {
      out[j++] = 0xc0;
      out[j++] = 0x80;
    } else {
      out[j++] = byte;
    }
  }
  return out;
}
