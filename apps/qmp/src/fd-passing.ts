/**
 * Receiving descriptors (SCM_RIGHTS) on a UNIX socket, which Node cannot do: Node's stream
 * handle reads with read(2), and the kernel then discards passed descriptors. The small N-API
 * addon in native/scm_rights.c does recvmsg() on a dup() of the connection, driven by a libuv
 * poll watcher; Node's socket stays paused and is used for writing only.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

interface ScmRightsAddon {
  recv(fd: number, buffer: Buffer): { bytes: number; fds: number[]; truncated: boolean };
  watch(fd: number, callback: (status: number) => void): object;
  unwatch(handle: object): void;
  closeFd(fd: number): void;
  dup(fd: number): number;
}

let addon: ScmRightsAddon | null | undefined;
let loadError: unknown;

/** The addon, or null when it was not built (then getfd always reports no descriptor). */
export function scmRights(): ScmRightsAddon | null {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  for (const candidate of ['./native/scm_rights.node', '../dist/native/scm_rights.node', '../native/build/Release/scm_rights.node']) {
    try {
      addon = require(candidate) as ScmRightsAddon;
      return addon;
    } catch (error) {
      loadError = error;
    }
  }
  addon = null;
  return addon;
}

export function scmRightsLoadError(): unknown {
  return loadError;
}

export interface FdReaderEvents {
  data(bytes: Uint8Array, fds: number[]): void;
  end(error?: Error): void;
}

/**
 * Reads a paused UNIX-socket connection with recvmsg(). `socket` must have been accepted with
 * `pauseOnConnect: true` so Node never reads it.
 */
export class FdReader {
  private readonly fd: number;
  private watcher: object | undefined;
  private readonly buffer = Buffer.allocUnsafe(64 * 1024);
  private stopped = false;
  private paused = false;

  constructor(
    private readonly native: ScmRightsAddon,
    socket: Socket,
    private readonly events: FdReaderEvents,
  ) {
    const handleFd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof handleFd !== 'number' || handleFd < 0) throw new Error('socket has no file descriptor');
    this.fd = native.dup(handleFd);
    this.watcher = native.watch(this.fd, () => this.drain());
  }

  /** Stops polling (the kernel buffer then fills and the client blocks), until resume(). */
  pause(): void {
    if (this.stopped || this.paused) return;
    this.paused = true;
    if (this.watcher) this.native.unwatch(this.watcher);
    this.watcher = undefined;
  }

  resume(): void {
    if (this.stopped || !this.paused) return;
    this.paused = false;
    this.watcher = this.native.watch(this.fd, () => this.drain());
  }

  private drain(): void {
    while (!this.stopped && !this.paused) {
      let result: { bytes: number; fds: number[] };
      try {
        result = this.native.recv(this.fd, this.buffer);
      } catch (error) {
        this.stop(error as Error);
        return;
      }
      if (result.bytes < 0) return; // EAGAIN: wait for the next poll
      if (result.bytes === 0) {
        for (const fd of result.fds) this.native.closeFd(fd);
        this.stop();
        return;
      }
      this.events.data(Uint8Array.prototype.slice.call(this.buffer, 0, result.bytes), result.fds);
    }
  }

  stop(error?: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.watcher) this.native.unwatch(this.watcher);
    this.watcher = undefined;
    this.native.closeFd(this.fd);
    this.events.end(error);
  }
}
