import { qdictOrder } from './qdict-order.js';
import { QmpFloat, type WireValue } from './qobject.js';

/** "%.17g", as QEMU's qjson prints doubles (1.5e3 → 1500, -0.0 → -0). */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, expText] = value.toExponential(16).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (digits: string) => (digits.includes('.') ? digits.replace(/0+$/, '').replace(/\.$/, '') : digits);
  if (exp < -4 || exp >= 17) {
    const sign = exp < 0 ? '-' : '+';
    return `${trim(mantissa)}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return trim(value.toFixed(Math.max(0, 16 - exp)));
}

/** QEMU's to_json string escaping: ASCII control and every non-ASCII code point as \uXXXX (upper-case). */
export function formatString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += '\\\\';
        continue;
      case 0x08:
        out += '\\b';
        continue;
      case 0x0c:
        out += '\\f';
        continue;
      case 0x0a:
        out += '\\n';
        continue;
      case 0x0d:
        out += '\\r';
        continue;
      case 0x09:
        out += '\\t';
        continue;
    }
    if (c < 0x20 || c >= 0x7f) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += text[i];
  }
  return `${out}"`;
}

/**
 * Serialises like QEMU's monitor: `{"a": 1, "b": [2, 3]}` on one line, members of every
 * dictionary in QDict order (insertion order is what a QAPI visitor would have inserted).
 */
export function formatJson(value: WireValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return formatString(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? (Object.is(value, -0) ? '0' : String(value)) : formatDouble(value);
  if (value instanceof QmpFloat) return formatDouble(value.value);
  if (Array.isArray(value)) return `[${value.map((item) => formatJson(item as WireValue)).join(', ')}]`;
  const entries = new Map<string, WireValue | undefined>(value instanceof Map ? value : Object.entries(value));
  const members = qdictOrder([...entries.keys()].filter((key) => entries.get(key) !== undefined)).map(
    (key) => `${formatString(key)}: ${formatJson(entries.get(key)!)}`,
  );
  return `{${members.join(', ')}}`;
}
