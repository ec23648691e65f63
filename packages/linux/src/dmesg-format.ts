import { formatCallerId, latin1, type KernelLogRecord } from './log-record.js';

/** C isprint() || isspace() in the C locale, which makedumpfile runs in. */
function printable(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || (c >= 0x09 && c <= 0x0d);
}

/**
 * One record as makedumpfile's --dump-dmesg writes it (printk.c dump_record(), and
 * dump_log_entry() for the old log_buf): "[%5lld.%06ld] " then the text, each newline followed
 * by spaces up to the text column, bytes that are neither printable nor space as "\x%02x" of the
 * signed char (so 0xc3 prints as \xffffffc3), and a final newline.
 */
export function formatDmesgRecord(record: KernelLogRecord): string {
  const seconds = record.tsNsec / 1_000_000_000n;
  const micros = (record.tsNsec % 1_000_000_000n) / 1000n;
  const prefix = `[${seconds.toString().padStart(5)}.${micros.toString().padStart(6, '0')}] `;
  const indent = `\n${' '.repeat(prefix.length)}`;
  const parts: string[] = [prefix];
  const text = record.text;
  let run = 0;
  const flush = (end: number) => {
    if (end > run) parts.push(latin1(text.subarray(run, end)));
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === 0x0a) {
      flush(i);
      parts.push(indent);
      run = i + 1;
    } else if (!printable(c)) {
      flush(i);
      // sprintf("\\x%02x", *p) with a signed char: bytes ≥ 0x80 sign-extend to 8 hex digits.
      parts.push(`\\x${(c >= 0x80 ? (c | 0xffffff00) >>> 0 : c).toString(16).padStart(2, '0')}`);
      run = i + 1;
    }
  }
  flush(text.length);
  parts.push('\n');
  return parts.join('');
}

/** The whole log in makedumpfile's --dump-dmesg text format. */
export function formatDmesg(records: Iterable<KernelLogRecord>): string {
  const out: string[] = [];
  for (const r of records) out.push(formatDmesgRecord(r));
  return out.join('');
}

/** One record as a JSON object: the text decoded as UTF-8 where valid (invalid bytes as U+FFFD). */
export interface DmesgJsonRecord {
  readonly sequence: number;
  /** Seconds since boot, microsecond precision (as the text format shows). */
  readonly timestamp: number;
  readonly timestampNsec: string;
  readonly level: number;
  readonly facility: number;
  readonly text: string;
  readonly caller?: string;
}

const SYSLOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export function levelName(level: number): string {
  return SYSLOG_LEVELS[level] ?? String(level);
}

type Utf8Decoder = { decode(bytes: Uint8Array): string };
// TextDecoder is in every JavaScript runtime, but not in the ES2022 typings this package builds with.
const utf8: Utf8Decoder = new (globalThis as unknown as { TextDecoder: new (label: string) => Utf8Decoder }).TextDecoder('utf-8');

export function dmesgJsonRecord(record: KernelLogRecord): DmesgJsonRecord {
  return {
    sequence: Number(record.seq),
    timestamp: Number(record.tsNsec / 1000n) / 1e6,
    timestampNsec: record.tsNsec.toString(),
    level: record.level,
    facility: record.facility,
    text: utf8.decode(record.text),
    ...(record.callerId !== undefined ? { caller: formatCallerId(record.callerId) } : {}),
  };
}
