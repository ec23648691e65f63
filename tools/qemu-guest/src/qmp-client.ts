import * as net from 'node:net';

/** A QMP error reply: QEMU's error class (`GenericError`, `CommandNotFound`, …) and its text. */
export class QmpError extends Error {
  override readonly name = 'QmpError';
  constructor(
    readonly errorClass: string,
    readonly desc: string,
    readonly command: string,
  ) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
  }
}

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  QMP: { version: { qemu: { major: number; minor: number; micro: number }; package: string }; capabilities: string[] };
}

/**
 * Line framing over a UNIX socket, nothing else: what QEMU sends, one JSON text per line.
 * Used raw by protocol tests (transcript replay) and underneath `QmpClient`.
 */
export class QmpLineConnection {
  private buffered = '';
  private readonly lines: string[] = [];
  private waiters: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  private closedError: Error | undefined;
  private lineListener: ((line: string) => void) | undefined;
  private closeListeners: Array<(err: Error) => void> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('QMP socket closed')));
  }

  static connect(path: string, timeoutMs = 10_000): Promise<QmpLineConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ path });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`QMP connect to ${path}: no connection after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new QmpLineConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Routes every received line to `listener` instead of the `readLine` queue (used by QmpClient). */
  onLine(listener: (line: string) => void): void {
    this.lineListener = listener;
    for (const line of this.lines.splice(0)) listener(line);
  }

  /** Called once when the socket closes or fails. */
  onClose(listener: (err: Error) => void): void {
    if (this.closedError) listener(this.closedError);
    else this.closeListeners.push(listener);
  }

  /** Sends `text` exactly as given (add the newline yourself). */
  send(text: string): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => this.socket.write(text, (err) => (err ? reject(err) : resolve())));
  }

  /** The next received line (without its line end), waiting at most `timeoutMs`. */
  readLine(timeoutMs = 30_000): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (l: string) => {
          clearTimeout(timer);
          resolve(l);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`QMP: no line received within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Lines received and not yet read. */
  pending(): string[] {
    return [...this.lines];
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  close(): void {
    this.socket.destroy();
    this.fail(new Error('QMP connection closed by client'));
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    for (;;) {
      const nl = this.buffered.indexOf('\n');
      if (nl < 0) break;
      const line = this.buffered.slice(0, nl).replace(/\r$/, '');
      this.buffered = this.buffered.slice(nl + 1);
      if (line.length === 0) continue;
      if (this.lineListener) this.lineListener(line);
      else {
        const waiter = this.waiters.shift();
        if (waiter) waiter.resolve(line);
        else this.lines.push(line);
      }
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
    for (const l of this.closeListeners.splice(0)) l(err);
  }
}

interface PendingCommand {
  command: string;
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * A QMP client: greeting, `qmp_capabilities`, commands matched to replies by id, and events.
 * Every event received is kept (in order) so a caller can wait for one that arrived before it
 * started waiting — QEMU sends DUMP_COMPLETED before the reply of a synchronous dump.
 */
export class QmpClient {
  readonly events: QmpEvent[] = [];
  private nextId = 1;
  private readonly pending = new Map<string, PendingCommand>();
  private eventWaiters = new Set<() => void>();
  private closeError: Error | undefined;

  private constructor(
    private readonly conn: QmpLineConnection,
    readonly greeting: QmpGreeting,
  ) {
    conn.onLine((line) => this.onLine(line));
    conn.onClose((err) => this.onClosed(err));
  }

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  static async connect(path: string, options: { timeoutMs?: number; capabilities?: string[] } = {}): Promise<QmpClient> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const conn = await QmpLineConnection.connect(path, timeoutMs);
    try {
      const greetingLine = await conn.readLine(timeoutMs);
      const greeting = JSON.parse(greetingLine) as QmpGreeting;
      if (!greeting || typeof greeting !== 'object' || !('QMP' in greeting)) {
        throw new Error(`QMP ${path}: expected a greeting {"QMP": …}, received ${greetingLine.slice(0, 200)}`);
      }
      const client = new QmpClient(conn, greeting);
      await client.execute('qmp_capabilities', options.capabilities ? { enable: options.capabilities } : undefined, timeoutMs);
      return client;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  /** Runs a command; resolves with its `return`, rejects with a QmpError for an `error` reply. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
    if (this.closeError) return Promise.reject(this.closeError);
    const id = `vmcore-${this.nextId++}`;
    const message: Record<string, unknown> = { execute: command, id };
    if (args !== undefined) message.arguments = args;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`QMP ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        command,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.conn.send(JSON.stringify(message) + '\n').catch((e: Error) => this.pending.get(id)?.reject(e));
    });
  }

  /** `human-monitor-command`: runs an HMP command line and returns its output text. */
  hmp(commandLine: string, timeoutMs?: number): Promise<string> {
    return this.execute<string>('human-monitor-command', { 'command-line': commandLine }, timeoutMs);
  }

  /** A position in the event list; pass it as `since` to wait only for later events. */
  eventMark(): number {
    return this.events.length;
  }

  /** Resolves with the first event named `name` received at index >= `since` (default: any seen so far). */
  waitForEvent(name: string, options: { timeoutMs?: number; since?: number } = {}): Promise<QmpEvent> {
    const since = options.since ?? 0;
    const timeoutMs = options.timeoutMs ?? 600_000;
    const find = () => this.events.slice(since).find((e) => e.event === name);
    const found = find();
    if (found) return Promise.resolve(found);
    if (this.closeError) return Promise.reject(this.closeError);
    return new Promise((resolve, reject) => {
      const check = () => {
        const ev = find();
        if (ev) {
          done();
          resolve(ev);
        } else if (this.closeError) {
          done();
          reject(this.closeError);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`QMP: no ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.eventWaiters.delete(check);
      };
      this.eventWaiters.add(check);
    });
  }

  close(): void {
    this.conn.close();
    this.onClosed(new Error('QMP connection closed by client'));
  }

  private onLine(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QEMU only sends JSON; ignore anything else rather than crash the test process
    }
    if (typeof msg.event === 'string') {
      this.events.push(msg as unknown as QmpEvent);
      for (const check of [...this.eventWaiters]) check();
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const entry = id !== undefined ? this.pending.get(id) : undefined;
    if (!entry || id === undefined) return;
    this.pending.delete(id);
    if ('error' in msg) {
      const e = msg.error as { class?: string; desc?: string };
      entry.reject(new QmpError(e.class ?? 'Unknown', e.desc ?? '', entry.command));
    } else entry.resolve(msg.return);
  }

  private onClosed(err: Error): void {
    if (this.closeError) return;
    this.closeError = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const check of [...this.eventWaiters]) check();
  }
}
