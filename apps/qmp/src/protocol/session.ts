import { formatJson } from '../wire/format.js';
import { JsonStream, type StreamItem } from '../wire/json-stream.js';
import { isQDict, type QObject, type WireValue } from '../wire/qobject.js';
import { visitArguments } from './args.js';
import type { RegisteredCommand } from './registry.js';
import { QmpError, QmpErrorClass } from './errors.js';
import { checkRequest, type QmpRequest } from './request.js';

/** What a session writes to and reads descriptors from (a socket, or a test double). */
export interface QmpTransport {
  /** Queues one serialised message (the session adds QEMU's "\r\n"). */
  write(text: string): void;
  /** Ends the connection once queued output is flushed. */
  end(): void;
  /** Descriptors that arrived with SCM_RIGHTS and were not taken yet (QEMU keeps only the latest batch). */
  takeReceivedFd?(): number | undefined;
  readonly passesFds: boolean;
  /** Stop/restart reading from the client (flow control while requests queue up). */
  pause?(): void;
  resume?(): void;
}

/** QEMU's QMP_REQ_QUEUE_LEN_MAX: a monitor stops reading while this many requests wait. */
export const MAX_QUEUED_REQUESTS = 8;

/** The shared side a session talks to: command lookup, greeting, descriptor cleanup. */
export interface QmpHost {
  readonly greeting: WireValue;
  findCommand(name: string): RegisteredCommand | undefined;
  closeFd(fd: number): void;
  sessionClosed(session: QmpSession): void;
}

export interface SessionOptions {
  /** QEMU's MAX_TOKEN_SIZE: largest token, and largest message (default 64 MiB). */
  readonly maxMessageBytes?: number;
}

/**
 * One client connection: framing → requests → dispatch, in order (like QEMU, a monitor handles
 * one request at a time; events interleave freely). Negotiation state and named descriptors
 * belong to the session.
 */
export class QmpSession {
  negotiated = false;
  oobEnabled = false;
  closed = false;
  readonly fds = new Map<string, number>();
  private readonly stream: JsonStream;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private paused = false;

  constructor(
    private readonly host: QmpHost,
    readonly transport: QmpTransport,
    options: SessionOptions = {},
  ) {
    this.stream = new JsonStream((item) => this.onItem(item), {
      ...(options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {}),
    });
    this.send(host.greeting);
  }

  /** Bytes from the client. A failure here ends this connection only, never the process. */
  receive(bytes: Uint8Array): void {
    if (this.closed) return;
    try {
      this.stream.feed(bytes);
    } catch {
      this.close();
    }
  }

  send(message: WireValue): void {
    if (this.closed) return;
    this.transport.write(`${formatJson(message)}\r\n`);
  }

  /** Resolves once every request received so far has been answered. */
  idle(): Promise<void> {
    return this.queue;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.fds.values()) this.host.closeFd(fd);
    this.fds.clear();
    this.transport.end();
    this.host.sessionClosed(this);
  }

  private onItem(item: StreamItem): void {
    this.queued++;
    if (this.queued >= MAX_QUEUED_REQUESTS && !this.paused) {
      this.paused = true;
      this.transport.pause?.();
    }
    this.queue = this.queue
      .then(() => this.handle(item))
      .catch(() => this.close())
      .finally(() => {
        this.queued--;
        if (this.paused && this.queued < MAX_QUEUED_REQUESTS && !this.closed) {
          this.paused = false;
          this.transport.resume?.();
        }
      });
  }

  private async handle(item: StreamItem): Promise<void> {
    if (this.closed) return;
    if (item.kind !== 'value') {
      this.send({ error: QmpError.generic(item.message).toWire() });
      return;
    }
    const value = item.value;
    const id = isQDict(value) && value.has('id') ? { present: true, id: value.get('id')! } : { present: false as const };
    try {
      const request = checkRequest(value, this.oobEnabled);
      const result = await this.dispatch(request);
      this.send(id.present ? { return: result, id: id.id as WireValue } : { return: result });
    } catch (error) {
      const qmpError = error instanceof QmpError ? error : QmpError.generic(error instanceof Error ? error.message : String(error));
      this.send(id.present ? { error: qmpError.toWire(), id: id.id as WireValue } : { error: qmpError.toWire() });
    }
  }

  private async dispatch(request: QmpRequest): Promise<WireValue> {
    const command = this.host.findCommand(request.command);
    const available = command && (this.negotiated ? true : command.preNegotiation === true);
    if (!command || !available) {
      // QEMU's pre-negotiation command table holds only qmp_capabilities; its CommandNotFound is
      // reworded to point at negotiation.
      if (!this.negotiated) {
        throw new QmpError(QmpErrorClass.CommandNotFound, "Expecting capabilities negotiation with 'qmp_capabilities'");
      }
      throw new QmpError(QmpErrorClass.CommandNotFound, `The command ${request.command} has not been found`);
    }
    if (request.oob && !command.allowOob) throw QmpError.generic(`The command ${request.command} does not support OOB`);
    const args = visitArguments(command.args, request.arguments);
    return await command.handler({ session: this }, args);
  }
}

export type { QObject };
