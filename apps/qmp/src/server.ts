import { chmodSync, lstatSync, mkdtempSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { FdReader, scmRights } from './fd-passing.js';
import { QmpMonitor, type MonitorOptions } from './monitor.js';
import { QmpSession, type QmpTransport } from './protocol/session.js';

export interface ServerOptions extends MonitorOptions {
  /** UNIX socket path (descriptor passing works here). */
  readonly socket?: string;
  /** TCP port on 127.0.0.1 (0 = any free port). */
  readonly tcpPort?: number;
  readonly tcpHost?: string;
  /** Largest message in bytes (default 1 MiB). */
  readonly maxMessageBytes?: number;
}

/** Socket transport: writes through Node's socket, reads either through Node or through FdReader. */
class SocketTransport implements QmpTransport {
  private readonly received: number[] = [];
  reader?: FdReader;

  constructor(
    private readonly socket: Socket,
    readonly passesFds: boolean,
    private readonly closeFd: (fd: number) => void,
  ) {}

  write(text: string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(text);
  }

  end(): void {
    this.reader?.stop();
    for (const fd of this.received.splice(0)) this.closeFd(fd);
    if (this.socket.destroyed) return;
    this.socket.end(() => this.socket.destroy());
    // A peer that never reads would keep the flush (and the server's close) pending for ever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  pause(): void {
    if (this.reader) this.reader.pause();
    else this.socket.pause();
  }

  resume(): void {
    if (this.reader) this.reader.resume();
    else this.socket.resume();
  }

  addReceived(fds: number[]): void {
    this.received.push(...fds);
  }

  takeReceivedFd(): number | undefined {
    return this.received.shift();
  }
}

/**
 * vmcore-qmp's listener: a QMP monitor on a UNIX socket and/or loopback TCP, any number of
 * clients, each with its own negotiation state.
 */
export class QmpServer {
  readonly monitor: QmpMonitor;
  private readonly servers: Server[] = [];
  private unixPath?: string;
  tcpAddress?: AddressInfo;

  constructor(private readonly options: ServerOptions) {
    this.monitor = new QmpMonitor(options);
  }

  static async listen(options: ServerOptions): Promise<QmpServer> {
    const server = new QmpServer(options);
    if (options.socket !== undefined) await server.listenUnix(options.socket);
    if (options.tcpPort !== undefined) await server.listenTcp(options.tcpPort, options.tcpHost ?? '127.0.0.1');
    return server;
  }

  /**
   * Binds in a private directory, sets mode 0600 there and renames the socket into place, so it
   * is never reachable with the umask's mode. A stale socket (nobody listening) is replaced; a
   * live one is an error.
   */
  private async listenUnix(path: string): Promise<void> {
    await checkSocketPath(path);
    const native = scmRights();
    const server = createServer({ pauseOnConnect: native !== null }, (socket) => this.accept(socket, native !== null));
    const staging = mkdtempSync(join(dirname(path), `.${basename(path)}.`));
    const staged = join(staging, 's');
    try {
      await listen(server, () => server.listen(staged));
      chmodSync(staged, 0o600);
      renameSync(staged, path);
    } catch (error) {
      server.close();
      throw error;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    this.unixPath = path;
    this.servers.push(server);
  }

  private async listenTcp(port: number, host: string): Promise<void> {
    const server = createServer((socket) => this.accept(socket, false));
    await listen(server, () => server.listen(port, host));
    this.tcpAddress = server.address() as AddressInfo;
    this.servers.push(server);
  }

  private accept(socket: Socket, withFds: boolean): void {
    socket.on('error', () => undefined);
    const transport = new SocketTransport(socket, withFds, (fd) => this.monitor.closeFd(fd));
    const session = new QmpSession(this.monitor, transport, {
      ...(this.options.maxMessageBytes !== undefined ? { maxMessageBytes: this.options.maxMessageBytes } : {}),
    });
    this.monitor.addSession(session);
    const native = withFds ? scmRights() : null;
    if (native) {
      transport.reader = new FdReader(native, socket, {
        data: (bytes, fds) => {
          if (fds.length > 0) transport.addReceived(fds);
          session.receive(bytes);
        },
        end: () => void session.idle().then(() => session.close()),
      });
    } else {
      socket.on('data', (bytes: Buffer) => session.receive(bytes));
      socket.on('end', () => void session.idle().then(() => session.close()));
    }
    socket.on('close', () => session.close());
  }

  async close(): Promise<void> {
    // Stop accepting first; net.Server.close() resolves only once every connection is gone,
    // so end the sessions before waiting for it.
    const closed = Promise.all(this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.servers.length = 0;
    await this.monitor.close();
    await closed;
    if (this.unixPath) {
      try {
        unlinkSync(this.unixPath);
      } catch {
        /* gone already */
      }
    }
  }
}

/** Refuses a path another server listens on; removes a stale socket nobody listens on. */
async function checkSocketPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new Error(`${path} exists and is not a socket; not replacing it`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`${path} is in use: another server is listening on it`);
  unlinkSync(path);
}

function listen(server: Server, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start();
  });
}
