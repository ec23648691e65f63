/** One kernel log record, from either log buffer layout. */
export interface KernelLogRecord {
  /** printk sequence number (lockless ring buffer; index in the buffer for the old log_buf). */
  readonly seq: bigint;
  /** Nanoseconds since boot (local_clock()). */
  readonly tsNsec: bigint;
  /** Console log level 0-7 (KERN_EMERG..KERN_DEBUG). */
  readonly level: number;
  /** syslog facility (0 = kernel). */
  readonly facility: number;
  /**
   * printk caller id where the kernel records one: bit 31 set means a CPU number
   * ("C<n>", printk from interrupt context), clear a thread id ("T<n>").
   */
  readonly callerId?: number;
  /** The message bytes as the kernel stored them (no trailing newline). */
  readonly text: Uint8Array;
}

/** Where the records came from. */
export type KernelLogSource = 'printk_ringbuffer' | 'log_buf';

export interface KernelLog {
  readonly source: KernelLogSource;
  readonly records: readonly KernelLogRecord[];
}

/** "T123" / "C1", as /dev/kmsg shows the caller. */
export function formatCallerId(callerId: number): string {
  return callerId & 0x8000_0000 ? `C${callerId & 0x7fff_ffff}` : `T${callerId}`;
}

/** Latin-1 decoding without TextDecoder (the core runs without DOM or Node typings). */
export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
