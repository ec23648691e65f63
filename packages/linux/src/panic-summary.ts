import { latin1, type KernelLogRecord } from './log-record.js';

/** What the log says about how the kernel died. */
export interface PanicSummary {
  /** The last "Kernel panic - not syncing: ..." line, if any. */
  readonly panic?: string;
  /** The last "BUG: ..." line, if any. */
  readonly bug?: string;
  /** The last "Oops: ..." line, if any. */
  readonly oops?: string;
  /** Seconds since boot of the last of these lines. */
  readonly at: number;
}

const PATTERNS = [
  ['panic', /^Kernel panic - not syncing:/],
  ['bug', /^BUG:/],
  ['oops', /^Oops\b/],
] as const;

/** The kernel's panic/oops summary: the last "Kernel panic", "BUG:" and "Oops" lines, or undefined when the log has none. */
export function panicSummary(records: readonly KernelLogRecord[]): PanicSummary | undefined {
  const found: { panic?: string; bug?: string; oops?: string } = {};
  let at: bigint | undefined;
  for (const record of records) {
    for (const line of latin1(record.text).split('\n')) {
      for (const [key, re] of PATTERNS) {
        if (re.test(line)) {
          found[key] = line.trimEnd();
          at = record.tsNsec;
        }
      }
    }
  }
  if (at === undefined) return undefined;
  return { ...found, at: Number(at / 1000n) / 1e6 };
}
