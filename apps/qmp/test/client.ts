import { connect, type Socket } from 'node:net';

/** A minimal QMP line client for tests: messages split on QEMU's "\r\n". */
export class LineClient {
  readonly messages: Record<string, unknown>[] = [];
  closed = false;
  private buffer = '';
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      let at: number;
      while ((at = this.buffer.indexOf('\r\n')) >= 0) {
        this.messages.push(JSON.parse(this.buffer.slice(0, at)) as Record<string, unknown>);
        this.buffer = this.buffer.slice(at + 2);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  static open(options: { path: string } | { port: number; host: string }): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(options as never);
      socket.once('connect', () => resolve(new LineClient(socket)));
      socket.once('error', reject);
    });
  }

  async until(predicate: (messages: Record<string, unknown>[]) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.messages)) {
      if (this.closed) throw new Error(`connection closed; got ${JSON.stringify(this.messages)}`);
      if (Date.now() > deadline) throw new Error(`timeout; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.messages;
  }

  /** Sends a request and resolves with its reply (the next return/error after those already seen). */
  async request(text: string, timeoutMs?: number): Promise<Record<string, unknown>> {
    const seen = this.replies().length;
    this.socket.write(text);
    await this.until(() => this.replies().length > seen, timeoutMs);
    return this.replies()[seen]!;
  }

  replies(): Record<string, unknown>[] {
    return this.messages.filter((m) => 'return' in m || 'error' in m);
  }

  waitClosed(timeoutMs = 5000): Promise<void> {
    return this.until(() => this.closed, timeoutMs).then(
      () => undefined,
      (error: Error) => {
        if (!this.closed) throw error;
      },
    );
  }

  close(): void {
    this.socket.destroy();
  }
}
