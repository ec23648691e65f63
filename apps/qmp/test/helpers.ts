import { write as fsWrite } from 'node:fs';
import { promisify } from 'node:util';
import type { Writable } from 'node:stream';
import {
  DumpFailure,
  QmpMonitor,
  QmpSession,
  stageMessage,
  type DumpBackend,
  type DumpJobRequest,
  type MonitorOptions,
  type QmpDumpFormat,
  type QmpTransport,
} from '../src/index.js';

import { DUMP_FORMATS } from '@vmcore/dump';

const writeAsync = promisify(fsWrite);

export interface TestBackendOptions {
  /** Guest RAM blocks (default: 0-640 KiB and 1 MiB-17 MiB). */
  blocks?: { start: number; size: number }[];
  /** Bytes per write and a pause between writes, to make a dump observable while it runs. */
  chunk?: number;
  delayMs?: number;
  winHeader?: boolean;
  formats?: QmpDumpFormat[];
}

async function writeStream(stream: Writable, bytes: Uint8Array): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * A stand-in for the dump writers: a 64-byte header, then every selected guest byte (a byte
 * pattern), written to the real descriptor or stream so I/O errors are real.
 */
export class TestBackend implements DumpBackend {
  readonly arch = 'x86_64';
  readonly blocks: { start: number; size: number }[];
  readonly hasWinDumpHeader: boolean;
  readonly formats: QmpDumpFormat[];
  readonly requests: DumpJobRequest[] = [];
  private readonly chunk: number;
  private readonly delayMs: number;

  constructor(options: TestBackendOptions = {}) {
    this.blocks = options.blocks ?? [
      { start: 0, size: 640 << 10 },
      { start: 1 << 20, size: 16 << 20 },
    ];
    this.chunk = options.chunk ?? 1 << 20;
    this.delayMs = options.delayMs ?? 0;
    this.hasWinDumpHeader = options.winHeader ?? false;
    this.formats = options.formats ?? [...DUMP_FORMATS];
  }

  async dump(request: DumpJobRequest): Promise<void> {
    this.requests.push(request);
    let offset = 0;
    let completed = 0;
    const out = async (bytes: Uint8Array) => {
      const destination = request.destination;
      if (destination.kind === 'seekable') {
        let done = 0;
        while (done < bytes.length) {
          const { bytesWritten } = await writeAsync(destination.fd, bytes, done, bytes.length - done, offset + done);
          done += bytesWritten;
        }
      } else {
        await writeStream(destination.stream, bytes);
      }
      offset += bytes.length;
    };
    try {
      await out(new TextEncoder().encode('TESTDUMP'.padEnd(64, '\0')));
      for (const block of this.blocks) {
        const start = request.filter ? Math.max(block.start, request.filter.begin) : block.start;
        const end = request.filter
          ? Math.min(block.start + block.size, request.filter.begin + request.filter.length)
          : block.start + block.size;
        for (let at = start; at < end; at += this.chunk) {
          if (request.signal.aborted) throw new Error('dump cancelled');
          const size = Math.min(this.chunk, end - at);
          await out(new Uint8Array(size).fill(at & 0xff));
          completed += size;
          request.onProgress(completed);
          if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        }
      }
      if (request.destination.kind === 'stream') {
        const stream = request.destination.stream;
        await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      }
    } catch (error) {
      throw new DumpFailure(stageMessage(request.format, completed, error), { cause: error });
    }
  }

  async close(): Promise<void> {}
}

/** A transport that records what the session writes, parsed back to objects. */
export class MemoryTransport implements QmpTransport {
  readonly lines: string[] = [];
  readonly fds: number[] = [];
  ended = false;
  readonly passesFds = true;
  pauses = 0;
  resumes = 0;

  pause(): void {
    this.pauses++;
  }

  resume(): void {
    this.resumes++;
  }
  private waiters: (() => void)[] = [];

  write(text: string): void {
    if (!text.endsWith('\r\n')) throw new Error(`message without CRLF: ${JSON.stringify(text)}`);
    this.lines.push(text.slice(0, -2));
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  end(): void {
    this.ended = true;
  }

  takeReceivedFd(): number | undefined {
    return this.fds.shift();
  }

  /** Parsed messages so far. */
  messages(): Record<string, unknown>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Waits until `count` messages have been written. */
  async waitFor(count: number, timeoutMs = 5000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} messages; have ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.messages();
  }
}

export interface Harness {
  monitor: QmpMonitor;
  backend: TestBackend;
  connect(): { session: QmpSession; transport: MemoryTransport; send(text: string): Promise<Record<string, unknown>[]> };
}

/** A monitor with a TestBackend and in-memory sessions; `send` resolves once the request is answered. */
export function harness(options: Partial<MonitorOptions> & { backend?: TestBackend } = {}): Harness {
  const backend = options.backend ?? new TestBackend();
  const monitor = new QmpMonitor({ ...options, backend });
  return {
    monitor,
    backend,
    connect() {
      const transport = new MemoryTransport();
      const session = new QmpSession(monitor, transport);
      monitor.addSession(session);
      return {
        session,
        transport,
        async send(text: string) {
          session.receive(new TextEncoder().encode(text));
          await session.idle();
          return transport.messages();
        },
      };
    },
  };
}

/** The last message written, without its timestamp. */
export function last(messages: Record<string, unknown>[]): Record<string, unknown> {
  return messages[messages.length - 1]!;
}

export function events(messages: Record<string, unknown>[]): string[] {
  return messages.filter((m) => 'event' in m).map((m) => m.event as string);
}
