import { VmcoreError, VmcoreErrorCode } from './errors.js';

/** The error every cancelled operation throws: code VMCORE_ABORTED, the signal's reason as cause. */
export function abortedError(signal: AbortSignal, what?: string): VmcoreError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'cancelled';
  return new VmcoreError(VmcoreErrorCode.Aborted, `${what ? `${what}: ` : ''}cancelled: ${reason}`, { cause: signal.reason });
}

/** Throws abortedError when `signal` is aborted. */
export function checkAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw abortedError(signal, what);
}

type TimerHost = { setTimeout(callback: () => void, ms: number): unknown };

/**
 * Lets the event loop run (signal handlers, I/O callbacks) in the middle of a long computation,
 * then throws if `signal` was aborted meanwhile. A resolved promise alone does not: microtasks
 * run before the loop turns.
 */
export async function yieldToEventLoop(signal?: AbortSignal, what?: string): Promise<void> {
  await new Promise<void>((resolve) => (globalThis as unknown as TimerHost).setTimeout(resolve, 0));
  checkAborted(signal, what);
}

/**
 * A budget of work between yields: `tick(n)` counts n units and, every `every` units, yields to
 * the event loop and checks the signal. Long loops over sizes taken from a file use one.
 */
export class YieldBudget {
  private spent = 0;
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly what: string,
    private readonly every = 1 << 24,
  ) {}

  async tick(units: number): Promise<void> {
    this.spent += units;
    if (this.spent < this.every) {
      checkAborted(this.signal, this.what);
      return;
    }
    this.spent = 0;
    await yieldToEventLoop(this.signal, this.what);
  }
}
