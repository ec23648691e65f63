/**
 * QMP transcripts for the differential tests: the same steps sent to real QEMU 7.2 and to
 * vmcore-qmp, every reply and chosen event normalised (timestamps dropped, the per-side output
 * directory replaced by <DIR>) so the two lists compare with toEqual.
 */
import { join } from 'node:path';
import { LineClient } from './client.js';

/** One message to send (built from the side's output directory); 'dump-events' waits for a detached dump's events. */
export interface TranscriptStep {
  readonly send: (dir: string) => string;
  readonly wait?: 'dump-events';
}

/** A step sending fixed text. */
export const raw = (text: string): TranscriptStep => ({ send: () => text });

/** dump-guest-memory with these arguments exactly. */
export const dump = (args: Record<string, unknown>): TranscriptStep =>
  raw(JSON.stringify({ execute: 'dump-guest-memory', arguments: args }));

/** dump-guest-memory (paging false unless given) to `file` in the side's directory. */
export const dumpTo = (file: string, args: Record<string, unknown> = {}, wait?: 'dump-events'): TranscriptStep => ({
  send: (dir) =>
    JSON.stringify({ execute: 'dump-guest-memory', arguments: { paging: false, protocol: `file:${join(dir, file)}`, ...args } }),
  ...(wait ? { wait } : {}),
});

/** A message without its timestamp and with `dir` masked, as JSON text. */
export function normalise(message: Record<string, unknown>, dir: string): string {
  const { timestamp: _ignored, ...rest } = message;
  return JSON.stringify(rest).split(dir).join('<DIR>');
}

export interface ReplayOptions {
  /** Events to keep (others, such as a guest's own, vary between runs). */
  readonly events: ReadonlySet<string>;
  /** Put the greeting's capabilities first in the result (the version differs, so only them). */
  readonly greeting?: boolean;
  /** Per request; synchronous dumps of a guest take seconds, more on a loaded machine. */
  readonly timeoutMs?: number;
}

/** Replays `steps` on the QMP socket; returns every reply and kept event, normalised. */
export async function replayTranscript(
  socketPath: string,
  dir: string,
  steps: readonly TranscriptStep[],
  options: ReplayOptions,
): Promise<string[]> {
  const client = await LineClient.open({ path: socketPath });
  try {
    await client.until((m) => m.length >= 1);
    const out: string[] = [];
    if (options.greeting) {
      const greeting = client.messages[0] as { QMP: { capabilities: unknown } };
      out.push(JSON.stringify({ QMP: { capabilities: greeting.QMP.capabilities } }));
    }
    let seen = 1;
    for (const step of steps) {
      await client.request(step.send(dir), options.timeoutMs ?? 180_000);
      if (step.wait === 'dump-events') {
        await client.until(
          (m) => m.slice(seen).some((x) => x.event === 'RESUME') && m.slice(seen).some((x) => x.event === 'DUMP_COMPLETED'),
          120_000,
        );
      }
      let messages = client.messages.slice(seen);
      if (step.wait === 'dump-events') {
        // QEMU's detached dump thread races its main thread: the reply may come before or after
        // the thread's events (seen both ways from QEMU 7.2). The reply is put first; the
        // events keep their order.
        messages = [...messages.filter((m) => !('event' in m)), ...messages.filter((m) => 'event' in m)];
      }
      for (const message of messages) {
        if ('event' in message && !options.events.has(message.event as string)) continue;
        out.push(normalise(message, dir));
      }
      seen = client.messages.length;
    }
    return out;
  } finally {
    client.close();
  }
}

/** Sends qmp_capabilities and one command on a fresh connection; returns its reply. */
export async function askOnce(socketPath: string, command: string): Promise<unknown> {
  const client = await LineClient.open({ path: socketPath });
  try {
    await client.until((m) => m.length >= 1);
    await client.request('{"execute":"qmp_capabilities"}');
    return await client.request(command);
  } finally {
    client.close();
  }
}

/**
 * One paging=false dump to /dev/null on our server, so its query-dump starts from "completed" as
 * QEMU's does after the dump that made the served ELF. Returns the reply ({ return: {} } expected).
 */
export async function primeWithOneDump(socketPath: string): Promise<unknown> {
  return askOnce(socketPath, '{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:/dev/null"}}');
}
