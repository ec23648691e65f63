/**
 * QEMU's monitor fd sets (monitor/misc.c): descriptors passed with add-fd, grouped by id, opened
 * through `/dev/fdset/N` paths (libvirt hands QEMU files it opened itself this way). Quirks kept:
 * a removed descriptor is closed only while the VM runs, and a set whose descriptor was dup'ed
 * for a dump stays listed (dump.c closes its dup with close(), not qemu_close()).
 */
import { ftruncateSync, readFileSync } from 'node:fs';
import { constants } from 'node:fs';
import { QErr, QmpError } from './protocol/errors.js';

interface FdsetFd {
  readonly fd: number;
  readonly opaque?: string;
  removed: boolean;
}

interface Fdset {
  readonly id: bigint;
  /** Newest first, like QLIST_INSERT_HEAD. */
  readonly fds: FdsetFd[];
  readonly dupFds: number[];
}

export interface FdsetHost {
  closeFd(fd: number): void;
  dup(fd: number): number;
  isRunning(): boolean;
  /** QEMU's mon_refcount: monitors with an open connection. */
  openMonitors(): number;
}

/** An errno failure, as qemu_open reports it ("Could not open '...': <strerror>"). */
export class FdsetOpenError extends Error {
  constructor(readonly code: 'ENOENT' | 'EACCES' | 'EINVAL') {
    super(code);
  }
}

const wire = (value: bigint): number | bigint =>
  value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;

/** The access mode a descriptor was opened with, from /proc/self/fdinfo (fcntl F_GETFL). */
function accessMode(fd: number): number {
  const match = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!match) throw new FdsetOpenError('EACCES');
  return parseInt(match[1]!, 8) & 3;
}

export class FdSets {
  /** Ordered by id. */
  private readonly sets: Fdset[] = [];

  constructor(private readonly host: FdsetHost) {}

  /** monitor_fdset_add_fd(). */
  add(fd: number, fdsetId: number | bigint | undefined, opaque: string | undefined): { fdsetId: number | bigint; fd: number } {
    let set = fdsetId === undefined ? undefined : this.sets.find((s) => s.id === BigInt(fdsetId));
    if (!set) {
      let id: bigint;
      if (fdsetId !== undefined) {
        if (BigInt(fdsetId) < 0n) {
          this.host.closeFd(fd);
          throw QErr.invalidParameterValue('fdset-id', 'a non-negative value');
        }
        id = BigInt(fdsetId);
      } else {
        // The first id not taken, counting up from 0.
        id = 0n;
        for (const s of this.sets) {
          if (s.id !== id) break;
          id++;
        }
      }
      set = { id, fds: [], dupFds: [] };
      const at = this.sets.findIndex((s) => s.id > id);
      this.sets.splice(at < 0 ? this.sets.length : at, 0, set);
    }
    set.fds.unshift({ fd, removed: false, ...(opaque !== undefined ? { opaque } : {}) });
    return { fdsetId: wire(set.id), fd };
  }

  /** qmp_remove_fd(). */
  remove(fdsetId: number | bigint, fd?: number | bigint): void {
    const set = this.sets.find((s) => s.id === BigInt(fdsetId));
    if (set) {
      if (fd === undefined) {
        for (const entry of set.fds) entry.removed = true;
        this.cleanup(set);
        return;
      }
      const entry = set.fds.find((e) => BigInt(e.fd) === BigInt(fd));
      if (entry) {
        entry.removed = true;
        this.cleanup(set);
        return;
      }
    }
    const name = fd === undefined ? `fdset-id:${fdsetId}` : `fdset-id:${fdsetId}, fd:${fd}`;
    throw QmpError.generic(`File descriptor named '${name}' not found`);
  }

  /** qmp_query_fdsets(): QAPI_LIST_PREPEND reverses both lists. */
  query(): { 'fdset-id': number | bigint; fds: { fd: number; opaque?: string }[] }[] {
    return [...this.sets].reverse().map((set) => ({
      'fdset-id': wire(set.id),
      fds: [...set.fds].reverse().map((e) => (e.opaque !== undefined ? { fd: e.fd, opaque: e.opaque } : { fd: e.fd })),
    }));
  }

  /** `/dev/fdset/N` → the N it names, if the path is one (qemu_open_internal). */
  static parsePath(path: string): string | undefined {
    return path.startsWith('/dev/fdset/') ? path.slice('/dev/fdset/'.length) : undefined;
  }

  /** The set's descriptor a write-only open would dup (monitor_fdset_dup_fd_add's choice). */
  findForWrite(idText: string): number {
    // qemu_parse_fdset(): a whole decimal int64; -1 doubles as the error value.
    if (!/^\s*[+-]?[0-9]+$/.test(idText)) throw new FdsetOpenError('EINVAL');
    const id = BigInt(idText.trim());
    if (id === -1n || id < -(2n ** 63n) || id >= 2n ** 63n) throw new FdsetOpenError('EINVAL');
    const set = this.sets.find((s) => s.id === id);
    if (!set) throw new FdsetOpenError('ENOENT');
    const entry = set.fds.find((e) => accessMode(e.fd) === constants.O_WRONLY);
    if (!entry) throw new FdsetOpenError('EACCES');
    return entry.fd;
  }

  /** Dups the set's write-only descriptor and truncates the file, as qemu_dup_flags(O_TRUNC) does. */
  dupForWrite(idText: string): number {
    const fd = this.findForWrite(idText);
    const set = this.sets.find((s) => s.fds.some((e) => e.fd === fd))!;
    const dup = this.host.dup(fd);
    try {
      ftruncateSync(dup, 0);
    } catch {
      /* a pipe or socket: nothing to truncate */
    }
    set.dupFds.push(dup);
    return dup;
  }

  /** monitor_fdsets_cleanup(), run when a monitor connection closes. */
  cleanupAll(): void {
    for (const set of [...this.sets]) this.cleanup(set);
  }

  /** Closes every descriptor (server shutdown). */
  closeAll(): void {
    for (const set of this.sets.splice(0)) for (const entry of set.fds) this.host.closeFd(entry.fd);
  }

  private cleanup(set: Fdset): void {
    for (const entry of [...set.fds]) {
      if ((entry.removed || (set.dupFds.length === 0 && this.host.openMonitors() === 0)) && this.host.isRunning()) {
        this.host.closeFd(entry.fd);
        set.fds.splice(set.fds.indexOf(entry), 1);
      }
    }
    if (set.fds.length === 0 && set.dupFds.length === 0) this.sets.splice(this.sets.indexOf(set), 1);
  }
}
